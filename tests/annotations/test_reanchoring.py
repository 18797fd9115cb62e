"""Re-anchoring through the services: a new revision (PATCH) carries the open annotations onto it."""

import pytest

from editorial.models import AuditEvent
from reviewers.anchoring import edit_distance, fuzzy_bound
from reviewers.models import AnnotationAnchor
from tests.annotations.helpers import BODY, ann_url, created, listed, selector, text_of, url

pytestmark = pytest.mark.django_db

EARLY = "Statins lower LDL cholesterol"
SIDE_EFFECT = "Muscle aches are the most commonly reported side effect"
TRIAL = "A trial found fewer events"
LIPIDS = "From the Guidelines"

# Revision 2: a paragraph inserted before everything, the side-effect paragraph deleted, a word added to the trial.
BODY_2 = "## Summary\n\nStatins are widely prescribed.\n\n" + BODY.replace(
    "Muscle aches are the most commonly reported side effect of treatment.\n\n", ""
).replace("A trial found fewer events", "A trial found far fewer events")


@pytest.fixture
def revising(build):
    return build("changes_requested")


def patch(api, article, user, body):
    response = api.as_user(user).patch(url(article), {"body": body, "change_summary": "Revised"}, format="json")
    assert response.status_code == 200, response.json()
    return response


def test_a_new_revision_carries_open_annotations_exact_fuzzy_or_orphaned(api, revising, board, editor, author):
    api.as_user(board)
    early = created(api, revising, EARLY)
    side = created(api, revising, SIDE_EFFECT, kind="safety", body="Mention rhabdomyolysis.")
    trial = created(api, revising, TRIAL, kind="citation_needed")
    old_text = text_of(revising, 1)

    patch(api, revising, author, BODY_2)
    new_text = text_of(revising, 2)
    assert new_text != old_text and SIDE_EFFECT not in new_text

    api.as_user(editor)
    on_2 = listed(api, revising)  # the current revision by default
    assert on_2 == listed(api, revising, 2)
    assert set(on_2) == {early["id"], side["id"], trial["id"]}
    assert all(a["revision"] == 2 and a["created_on_revision"] == 1 for a in on_2.values())

    moved = on_2[early["id"]]
    assert (moved["status"], moved["anchoring"], moved["edit_distance"]) == ("open", "exact", 0)
    position = selector(moved, "TextPositionSelector")
    shift = new_text.index(EARLY) - old_text.index(EARLY)
    assert shift == len("Summary\n\nStatins are widely prescribed.\n\n")
    assert position["start"] == selector(early, "TextPositionSelector")["start"] + shift
    assert new_text[position["start"] : position["end"]] == EARLY
    assert selector(moved, "TextQuoteSelector")["exact"] == EARLY
    assert moved["target"]["source"].endswith("/revisions/2/")

    fuzzy = on_2[trial["id"]]
    assert (fuzzy["status"], fuzzy["anchoring"]) == ("open", "fuzzy")
    position = selector(fuzzy, "TextPositionSelector")
    found = new_text[position["start"] : position["end"]]
    assert found == selector(fuzzy, "TextQuoteSelector")["exact"]
    assert "far" in found
    assert 0 < fuzzy["edit_distance"] == edit_distance(found, TRIAL) <= fuzzy_bound(TRIAL)

    orphan = on_2[side["id"]]
    assert (orphan["status"], orphan["anchoring"], orphan["blocking"]) == ("orphaned", "orphaned", True)
    # An orphan keeps the selectors it last had.
    assert orphan["target"]["selector"] == side["target"]["selector"]

    # Revision 1 still shows every annotation where it was made.
    on_1 = listed(api, revising, 1)
    for made in (early, side, trial):
        assert on_1[made["id"]]["target"] == made["target"]
        assert (on_1[made["id"]]["anchoring"], on_1[made["id"]]["status"], on_1[made["id"]]["revision"]) == (
            "original",
            "open",
            1,
        )
        assert api.get(ann_url(revising, made["id"]) + "?revision=1").json()["target"] == made["target"]
    assert api.get(ann_url(revising, early["id"])).json()["target"] == moved["target"]

    [event] = AuditEvent.objects.filter(action="annotation.reanchor")
    assert event.after == {"revision": 2, "exact": [early["id"]], "fuzzy": [trial["id"]], "orphaned": [side["id"]]}


def test_an_orphan_stays_orphaned_and_an_exact_anchor_keeps_moving(api, revising, board, author):
    api.as_user(board)
    early = created(api, revising, EARLY)
    side = created(api, revising, SIDE_EFFECT)
    patch(api, revising, author, BODY_2)
    # Revision 3 brings the deleted sentence back: the orphan is not re-attached behind the reviewer's back.
    patch(api, revising, author, "Back again.\n\n" + BODY)
    text_3 = text_of(revising, 3)
    on_3 = listed(api.as_user(board), revising, 3)
    assert on_3[side["id"]]["status"] == "orphaned"
    assert on_3[side["id"]]["target"]["selector"] == side["target"]["selector"]
    position = selector(on_3[early["id"]], "TextPositionSelector")
    assert (on_3[early["id"]]["anchoring"], text_3[position["start"] : position["end"]]) == ("exact", EARLY)
    assert AnnotationAnchor.objects.filter(annotation_id=early["id"]).count() == 3


def test_resolved_annotations_are_not_carried_and_stay_on_earlier_revisions(api, revising, board, author):
    api.as_user(board)
    kept = created(api, revising, EARLY)
    done = created(api, revising, LIPIDS)
    assert api.post(ann_url(revising, done["id"], "resolve/"), {"body": "Fixed."}, format="json").status_code == 200

    patch(api, revising, author, "Intro.\n\n" + BODY)
    assert set(listed(api, revising)) == {kept["id"]}
    on_1 = listed(api, revising, 1)
    assert set(on_1) == {kept["id"], done["id"]}
    assert on_1[done["id"]]["status"] == "resolved"
    assert on_1[done["id"]]["target"] == done["target"]
    assert not AnnotationAnchor.objects.filter(annotation_id=done["id"], revision__number=2).exists()

    # Asking for it on revision 2 gives where it last stood, on revision 1.
    detail = api.get(ann_url(revising, done["id"])).json()
    assert (detail["revision"], detail["status"]) == (1, "resolved")

    # Reopened, it is carried onto the current revision again.
    reopened = api.post(ann_url(revising, done["id"], "reopen/"), {}, format="json")
    assert reopened.status_code == 200, reopened.json()
    again = reopened.json()
    assert (again["revision"], again["status"], again["anchoring"]) == (2, "open", "exact")
    assert set(listed(api, revising)) == {kept["id"], done["id"]}


def test_unknown_or_malformed_revision_parameter(api, revising, board):
    api.as_user(board)
    assert api.get(url(revising, "annotations/?revision=9")).status_code == 404
    assert api.get(url(revising, "annotations/?revision=two")).status_code == 400
