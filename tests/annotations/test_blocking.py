"""Blocking annotations: approval is refused (409) while any is open, orphaned or not."""

import pytest

from articles.models import Article
from editorial.models import AuditEvent
from reviewers.models import Decision
from tests.annotations.helpers import BODY, ann_url, created, listed, snapshot, url
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

EARLY = "Statins lower LDL cholesterol"
SIDE_EFFECT = "Muscle aches are the most commonly reported side effect"
TRIAL = "A trial found fewer events"


def approve(api, article):
    revision = Article.objects.get(pk=article.pk).current_revision.number
    return api.post(url(article, "transitions/approve/"), {"password": PASSWORD, "revision": revision}, format="json")


def transition_names(api, article) -> list[str]:
    return [t["name"] for t in api.get(url(article, "transitions/")).json()]


def assert_approval_refused(api, article, ids):
    before = snapshot()
    decision_events = AuditEvent.objects.filter(action__startswith="decision.").count()
    response = approve(api, article)
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "blocking_annotations_open"
    assert response.json()["annotations"] == sorted(ids)
    assert snapshot() == before
    assert not Decision.objects.filter(article=article, verdict="approve").exists()
    assert AuditEvent.objects.filter(action__startswith="decision.").count() == decision_events
    assert "approve" not in transition_names(api, article)


def test_safety_annotation_blocks_approval_until_resolved(api, article, board, board2, author):
    safety = created(api.as_user(board2), article, SIDE_EFFECT, kind="safety", body="Rhabdomyolysis risk.")
    assert safety["blocking"] is True  # without asking
    created(api, article, TRIAL, kind="comment", body="Minor.")  # not blocking

    api.as_user(board)
    assert transition_names(api, article) == ["request_changes", "reject"]
    assert_approval_refused(api, article, [safety["id"]])

    # The article's author answers a blocking concern with a reply; only whoever raised it (or an editor) closes it.
    refused = api.as_user(author).post(ann_url(article, safety["id"], "resolve/"), {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert listed(api, article)[safety["id"]]["status"] == "open"
    reply = api.post(ann_url(article, safety["id"], "replies/"), {"body": "Dose clarified in r2."}, format="json")
    assert reply.status_code == 201
    assert_approval_refused(api.as_user(board), article, [safety["id"]])
    resolved = api.as_user(board2).post(ann_url(article, safety["id"], "resolve/"), {}, format="json")
    assert resolved.status_code == 200
    api.as_user(board)
    assert "approve" in transition_names(api, article)
    response = approve(api, article)
    assert response.status_code == 200, response.json()
    assert Decision.objects.filter(article=article, reviewer=board, verdict="approve").count() == 1


def test_a_safety_annotation_cannot_be_made_non_blocking(api, article, board):
    made = created(api.as_user(board), article, EARLY, kind="safety", blocking=False)
    assert made["blocking"] is True
    assert listed(api, article)[made["id"]]["blocking"] is True


@pytest.mark.parametrize("kind", ["comment", "citation_needed", "suggestion"])
def test_any_annotation_marked_blocking_blocks(api, article, board, board2, editor, kind):
    extra = {"suggestion": "Statins reduce LDL cholesterol"} if kind == "suggestion" else {}
    mine = created(api.as_user(board), article, EARLY, kind=kind, blocking=True, **extra)
    by_editor = created(api.as_user(editor), article, TRIAL, blocking=True)
    created(api, article, SIDE_EFFECT, blocking=False)
    assert mine["blocking"] is True

    # Every approving member is held back, not only the annotation's author.
    for member in (board, board2):
        assert_approval_refused(api.as_user(member), article, [mine["id"], by_editor["id"]])
    # Other decisions are not blocked.
    assert "request_changes" in transition_names(api.as_user(board2), article)

    api.as_user(board).post(ann_url(article, mine["id"], "resolve/"), {}, format="json")
    assert_approval_refused(api.as_user(board), article, [by_editor["id"]])
    # Reopening blocks again.
    api.as_user(board).post(ann_url(article, mine["id"], "reopen/"), {}, format="json")
    assert_approval_refused(api, article, [mine["id"], by_editor["id"]])

    for annotation in (mine, by_editor):
        resolved = api.as_user(editor).post(ann_url(article, annotation["id"], "resolve/"), {}, format="json")
        assert resolved.status_code == 200
    assert approve(api.as_user(board), article).status_code == 200


def test_an_orphaned_blocking_annotation_still_blocks(api, build, board, author, editor):
    article = build("changes_requested")
    safety = created(api.as_user(board), article, SIDE_EFFECT, kind="safety", body="Keep the side effects.")
    # The author deletes the passage, and sends the article back for review.
    api.as_user(author)
    body = BODY.replace("Muscle aches are the most commonly reported side effect of treatment.\n\n", "")
    assert api.patch(url(article), {"body": body}, format="json").status_code == 200
    assert api.post(url(article, "transitions/revise/")).status_code == 200
    assert api.post(url(article, "transitions/submit/")).status_code == 200
    assert api.as_user(editor).post(url(article, "transitions/start_review/")).status_code == 200

    api.as_user(board)
    assert listed(api, article, 2)[safety["id"]]["status"] == "orphaned"
    assert_approval_refused(api, article, [safety["id"]])

    resolved = api.post(ann_url(article, safety["id"], "resolve/"), {"body": "Checked with the author."}, format="json")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["status"] == "resolved"
    assert [r["body"] for r in resolved.json()["replies"]] == ["Checked with the author."]
    assert "approve" in transition_names(api, article)
    approved = approve(api, article)
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"


def test_blocking_annotations_of_another_article_do_not_block(api, article, build, board):
    other = build("under_review")
    created(api.as_user(board), other, EARLY, kind="safety")
    assert approve(api, article).status_code == 200
