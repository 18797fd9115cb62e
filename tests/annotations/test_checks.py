"""Automated checks as annotations: raised by the task on submission and on each new revision, anchored and
carried like any annotation, not raised again once resolved unless their sentence changed, resolved by editors
and assigned members only."""

from __future__ import annotations

import pytest

from articles.models import Article, ArticleState
from editorial.models import AuditEvent
from editorial.services import assignments as assignment_services
from editorial.services import checks as check_services
from editorial.services import workflow
from reviewers.models import Annotation, AnnotationKind, AnnotationStatus
from tests.annotations.helpers import ann_url, annotate, current, listed, text_of, url
from tests.factories import PASSWORD, make_article, reviewed_article

pytestmark = pytest.mark.django_db

TITLE = "How is swelling around a brain tumour treated?"
DOSE_SENTENCE = "Guidelines advise corticosteroids (dexamethasone 4-8mg daily) to reduce the swelling [1]."
ABSOLUTE_SENTENCE = "Steroids always relieve the headache within a day [2]."
UNCITED_SENTENCE = "Most people also need treatment of the tumour itself."
BODY = (
    "## Treatment\n\n"
    f"{DOSE_SENTENCE}\n\n"
    f"{ABSOLUTE_SENTENCE}\n\n"
    f"{UNCITED_SENTENCE}\n\n"
    "## Monitoring\n\n"
    "Blood sugar is checked while a glucose above 11 mmol/L persists [1]."
)
REFERENCES = [
    {"kind": "guideline", "citation": "EANO guidelines on the management of brain metastases", "year": 2021,
     "doi": "10.1093/neuonc/noab016"},
    {"kind": "research", "citation": "Dexamethasone in cerebral oedema: a cohort", "year": 2019, "pmid": "31234567"},
]  # fmt: skip


def checks_on(api, article, revision: int | None = None) -> list[dict]:
    return [a for a in listed(api, article, revision).values() if a["kind"] == "check"]


def by_rule(found: list[dict], rule: str) -> list[dict]:
    return [a for a in found if a["rule"] == rule]


def new_body(*, dose: str = DOSE_SENTENCE, absolute: str = ABSOLUTE_SENTENCE, uncited: str = UNCITED_SENTENCE) -> str:
    return BODY.replace(DOSE_SENTENCE, dose).replace(ABSOLUTE_SENTENCE, absolute).replace(UNCITED_SENTENCE, uncited)


@pytest.fixture
def submitted(api, author, django_capture_on_commit_callbacks):
    """Submitted through the API; the checks task runs in-process after the commit."""
    article = make_article(author, title=TITLE, body=BODY, references=REFERENCES)
    api.as_user(author)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url(article, "transitions/submit/"), {}, format="json")
    assert response.status_code == 200, response.json()
    return article


@pytest.fixture
def in_changes(author, editor, board, board2):
    """Changes requested by `board`, with the checks of revision 1 raised."""
    article = reviewed_article(
        author, editor, [board, board2], state=ArticleState.CHANGES_REQUESTED, title=TITLE, body=BODY,
        references=REFERENCES,
    )  # fmt: skip
    check_services.check_revision(current(article).current_revision_id)
    return current(article)


def patch_body(api, article, author, body: str, capture) -> None:
    api.as_user(author)
    with capture(execute=True):
        response = api.patch(url(article), {"body": body, "change_summary": "Edited"}, format="json")
    assert response.status_code == 200, response.json()


def test_checks_appear_after_submission(api, submitted, editor):
    found = checks_on(api.as_user(editor), submitted)
    assert {a["rule"] for a in found} == {"dosage", "absolute_claim", "uncited_claim"}
    text = text_of(submitted)
    for check in found:
        assert check["created_by"] is None and check["status"] == "open" and check["blocking"] is False
        assert check["created_on_revision"] == 1 and check["revision"] == 1
        quote, position = check["target"]["selector"]
        assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
        assert text[position["start"] : position["end"]] == quote["exact"]
    assert [a["target"]["selector"][0]["exact"] for a in by_rule(found, "dosage")] == ["4-8mg daily"]
    assert [a["target"]["selector"][0]["exact"] for a in by_rule(found, "absolute_claim")] == ["always"]
    assert [a["target"]["selector"][0]["exact"] for a in by_rule(found, "uncited_claim")] == [UNCITED_SENTENCE]
    # The lab value under Monitoring is not a dose; the headings are not uncited claims.


def test_checks_are_audited_without_an_actor(submitted):
    events = AuditEvent.objects.filter(article_id=submitted.pk, action="annotation.create")
    assert events.count() == 3
    assert {e.actor_id for e in events} == {None}
    assert {e.after["rule"] for e in events} == {"dosage", "absolute_claim", "uncited_claim"}


def test_running_the_checks_twice_raises_nothing_twice(submitted):
    assert check_services.check_revision(current(submitted).current_revision_id) == []
    assert Annotation.objects.filter(article=submitted, kind=AnnotationKind.CHECK).count() == 3


def test_a_person_cannot_raise_a_check(api, submitted, editor):
    response = annotate(api.as_user(editor), submitted, "always", kind="check")
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_checks_of_a_new_revision_are_raised_and_carried(api, in_changes, author, editor, board,
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    before = {a["id"]: a for a in checks_on(api.as_user(editor), in_changes)}
    assert len(before) == 3
    body = new_body(absolute="Steroids never relieve the headache alone [2].")
    patch_body(api, in_changes, author, body, django_capture_on_commit_callbacks)
    after = checks_on(api.as_user(editor), in_changes, revision=2)
    dose = by_rule(after, "dosage")
    assert [a["id"] for a in dose] == [a["id"] for a in by_rule(list(before.values()), "dosage")]  # carried
    assert dose[0]["created_on_revision"] == 1 and dose[0]["revision"] == 2
    absolute = by_rule(after, "absolute_claim")
    assert [a["target"]["selector"][0]["exact"] for a in absolute] == ["never"]
    assert absolute[0]["created_on_revision"] == 2
    # "always" is gone from the text: its check was resolved by the system and stays on revision 1 only.
    old = by_rule(list(before.values()), "absolute_claim")[0]
    assert Annotation.objects.get(pk=old["id"]).status == AnnotationStatus.RESOLVED
    assert old["id"] not in {a["id"] for a in after}


def test_a_check_the_text_answers_is_resolved_by_the_system(api, in_changes, author, editor,
                                                            django_capture_on_commit_callbacks):  # fmt: skip
    uncited = by_rule(checks_on(api.as_user(editor), in_changes), "uncited_claim")[0]
    body = new_body(uncited="Most people also need treatment of the tumour itself [1].")
    patch_body(api, in_changes, author, body, django_capture_on_commit_callbacks)
    check = Annotation.objects.get(pk=uncited["id"])
    assert check.status == AnnotationStatus.RESOLVED and check.resolved_by is None
    assert by_rule(checks_on(api.as_user(editor), in_changes, revision=2), "uncited_claim") == []


def test_a_resolved_check_is_not_raised_again_while_its_sentence_is_unchanged(
    api, in_changes, author, board, editor, django_capture_on_commit_callbacks
):
    dose = by_rule(checks_on(api.as_user(board), in_changes), "dosage")[0]
    response = api.post(ann_url(in_changes, dose["id"], "resolve/"), {"body": "Matches [1]."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "resolved" and response.json()["resolved_by"] == "board1"
    # Another sentence changes; the dose sentence does not.
    patch_body(api, in_changes, author, new_body(uncited=UNCITED_SENTENCE.replace("Most", "Many")),
               django_capture_on_commit_callbacks)  # fmt: skip
    assert by_rule(checks_on(api.as_user(editor), in_changes, revision=2), "dosage") == []
    assert Annotation.objects.filter(article=in_changes, rule="dosage").count() == 1


def test_a_resolved_check_is_raised_again_when_its_sentence_changed(
    api, in_changes, author, board, editor, django_capture_on_commit_callbacks
):
    dose = by_rule(checks_on(api.as_user(board), in_changes), "dosage")[0]
    assert api.post(ann_url(in_changes, dose["id"], "resolve/"), {}, format="json").status_code == 200
    changed = DOSE_SENTENCE.replace("to reduce the swelling", "for a week, then tapered")
    patch_body(api, in_changes, author, new_body(dose=changed), django_capture_on_commit_callbacks)
    raised = by_rule(checks_on(api.as_user(editor), in_changes, revision=2), "dosage")
    assert len(raised) == 1 and raised[0]["id"] != dose["id"]
    assert raised[0]["created_on_revision"] == 2 and raised[0]["status"] == "open"
    assert raised[0]["target"]["selector"][0]["exact"] == "4-8mg daily"


@pytest.mark.parametrize(
    ("who", "status"),
    [("author", 403), ("outsider", 403), ("auditor", 403), ("other_author", 404), ("board", 200), ("editor", 200)],
)
def test_who_may_resolve_a_check(request, api, submitted, editor, board, who, status):
    article = submitted
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board.username)
    assignment_services.declare_conflict(article, actor=board, has_conflict=False)
    users = {"outsider": "outsider", "auditor": "auditor", "other_author": "other_author"}
    user = request.getfixturevalue(users.get(who, who))
    check = Annotation.objects.filter(article=article, kind=AnnotationKind.CHECK).first()
    response = api.as_user(user).post(ann_url(article, check.pk, "resolve/"), {}, format="json")
    assert response.status_code == status, response.json()
    check.refresh_from_db()
    assert (check.status == AnnotationStatus.RESOLVED) is (status == 200)


def test_the_author_replies_to_a_check(api, submitted, author):
    check = Annotation.objects.filter(article=submitted, kind=AnnotationKind.CHECK).first()
    response = api.as_user(author).post(ann_url(submitted, check.pk, "replies/"), {"body": "See [1]."}, format="json")
    assert response.status_code == 201


def test_a_check_as_a_web_annotation_names_its_software(api, submitted, editor):
    check = Annotation.objects.filter(article=submitted, kind=AnnotationKind.CHECK, rule="dosage").get()
    data = api.as_user(editor).get(ann_url(submitted, check.pk) + "?format=jsonld").json()
    assert data["creator"] == {"type": "Software", "name": "Editorial check: dosage"}
    assert data["editorial:rule"] == "dosage"


def test_a_withdrawn_article_gets_no_checks(author):
    article = make_article(author, title=TITLE, body=BODY, references=REFERENCES)
    workflow.submit_article(article, actor=author)
    workflow.withdraw_article(article, actor=author, comment="Not needed")
    assert check_services.check_revision(current(article).current_revision_id) == []


def test_the_workspace_shows_a_check(client, submitted, editor):
    client.force_login(editor)
    html = client.get(f"/desk/articles/{submitted.pk}/").content.decode()
    assert "Automated check" in html and "dosage" in html


def test_approval_is_not_blocked_by_non_blocking_checks(api, submitted, editor, board):
    assignment_services.assign_reviewer(submitted, actor=editor, reviewer_username=board.username)
    assignment_services.declare_conflict(submitted, actor=board, has_conflict=False)
    workflow.start_review(submitted, actor=editor)
    response = api.as_user(board).post(
        url(submitted, "transitions/approve/"), {"password": PASSWORD, "revision": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Article.objects.get(pk=submitted.pk).state == ArticleState.APPROVED


def test_the_history_and_the_audit_page_show_checks(api, client, submitted, editor):
    response = api.as_user(editor).get(url(submitted, "history/"))
    assert response.status_code == 200
    client.force_login(editor)
    assert client.get(f"/desk/audit/articles/{submitted.pk}/").status_code == 200
    assert client.get(f"/desk/editor/articles/{submitted.pk}/").status_code == 200


def test_a_long_uncited_sentence_is_raised_once(author):
    long_sentence = "Most people also need treatment of the tumour itself, " + "and of its symptoms, " * 40 + "too."
    article = make_article(author, title=TITLE, body=new_body(uncited=long_sentence), references=REFERENCES)
    workflow.submit_article(article, actor=author)
    revision_id = current(article).current_revision_id
    [check] = [c for c in check_services.check_revision(revision_id) if c.rule == "uncited_claim"]
    assert len(check.check_key) == 500
    assert check_services.check_revision(revision_id) == []  # found again under the same stored key
    check.refresh_from_db()
    assert check.status == AnnotationStatus.OPEN
