"""Periodic re-review: the due date set at approval, and the scheduled opening of the next round."""

from __future__ import annotations

import datetime

import pytest

from articles.models import Article
from editorial.models import AuditEvent, Notification
from editorial.services import workflow
from reviewers.models import RevisionApproval
from tests.factories import PASSWORD, make_user, reviewed_article, sign_decision

from .helpers import fresh, transition, url

pytestmark = pytest.mark.django_db


def _approved_on(article: Article) -> datetime.date:
    return RevisionApproval.objects.filter(article=article).latest("id").approved_at.date()


def test_approval_sets_the_next_review_a_year_later(author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved")
    approval = RevisionApproval.objects.get(article=article)
    assert article.last_reviewed_at == approval.approved_at
    assert article.next_review_due == (approval.approved_at + datetime.timedelta(days=365)).date()


def test_the_interval_an_editor_sets_is_used(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    response = api.as_user(editor).patch(url(article), {"review_interval_days": 30}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["review_interval_days"] == 30
    # Only an editor decides how strict the review is.
    assert api.as_user(author).patch(url(article), {"review_interval_days": 3650}, format="json").status_code == 403
    sign_decision(fresh(article), verdict="approve", actor=board, password=PASSWORD)
    article = fresh(article)
    assert article.next_review_due == _approved_on(article) + datetime.timedelta(days=30)
    body = api.as_user(editor).get(url(article)).json()
    assert body["next_review_due"] == article.next_review_due.isoformat()


def test_the_due_rereview_opens_notifies_and_can_be_decided_again(api, author, editor, board, board2, run_async):
    editor2 = make_user("editor", username="editor2")
    article = reviewed_article(author, editor, [board], state="approved")
    due = article.next_review_due
    round_before = article.review_round

    with run_async():
        assert workflow.open_due_rereviews(today=due - datetime.timedelta(days=1)) == 0
    assert fresh(article).state == "approved"
    assert not Notification.objects.filter(kind="rereview").exists()

    with run_async():
        assert workflow.open_due_rereviews(today=due) == 1
    article = fresh(article)
    assert article.state == "under_review"
    assert article.review_round == round_before + 1
    assert article.next_review_due is None
    recipients = set(Notification.objects.filter(kind="rereview").values_list("recipient__username", flat=True))
    assert recipients == {"editor", "editor2", "board1"}  # editors and the approving member; not the author
    assert editor2.notifications.filter(kind="rereview", article_id=article.pk).exists()
    event = AuditEvent.objects.get(action="article.start_rereview", article_id=article.pk)
    assert event.actor_id is None and event.after["state"] == "under_review"

    # Running the schedule again the same day opens nothing more.
    with run_async():
        assert workflow.open_due_rereviews(today=due) == 0

    # The approving member confirms it for the new round.
    response = transition(api.as_user(board), article, "approve", password=PASSWORD)
    assert response.status_code == 200, response.json()
    article = fresh(article)
    assert article.state == "approved"
    approvals = list(RevisionApproval.objects.filter(article=article).order_by("id"))
    assert [(a.revision_id, a.round) for a in approvals] == [
        (article.current_revision_id, round_before),
        (article.current_revision_id, round_before + 1),
    ]
    assert article.next_review_due == approvals[-1].approved_at.date() + datetime.timedelta(days=365)


def test_only_approved_articles_are_opened(author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="approved")
    due = article.next_review_due
    workflow.revise_article(fresh(article), actor=author)  # back to draft: no re-review of a draft
    with run_async():
        assert workflow.open_due_rereviews(today=due + datetime.timedelta(days=10)) == 0
    assert fresh(article).state == "draft"


def test_a_rereview_that_rejects_withdraws_the_approval_and_takes_the_live_version_down(
    api, author, editor, board, run_async
):
    from editorial.services import publishing

    article = reviewed_article(author, editor, [board], state="approved")
    with run_async():
        publishing.request_publication(fresh(article), actor=editor)
        workflow.open_due_rereviews(today=article.next_review_due)
    versions = api.as_user(editor).get(f"{url(article)}versions/").json()["results"]
    assert versions[0]["review_status"] == "approved"  # still approved while the re-review runs

    with run_async():
        response = transition(api.as_user(board), fresh(article), "reject", password=PASSWORD, comment="Outdated.")
    assert response.status_code == 200, response.json()
    article = fresh(article)
    assert article.state == "rejected"
    assert article.live_version_id is None  # the version no longer stands approved: it is retracted
    versions = api.as_user(editor).get(f"{url(article)}versions/").json()["results"]
    assert versions[0]["review_status"] == "under_review" and versions[0]["retracted_at"] is not None
    event = AuditEvent.objects.get(action="version.retract", article_id=article.pk)
    assert event.actor_id is None


def test_a_rereview_that_requests_changes_shows_the_live_version_as_under_review(api, author, editor, board, run_async):
    from editorial.services import publishing

    article = reviewed_article(author, editor, [board], state="approved")
    with run_async():
        publishing.request_publication(fresh(article), actor=editor)
        workflow.open_due_rereviews(today=article.next_review_due)
    with run_async():
        transition(api.as_user(board), fresh(article), "request_changes", password=PASSWORD, comment="Update it.")
    versions = api.as_user(editor).get(f"{url(article)}versions/").json()["results"]
    assert versions[0]["review_status"] == "under_review"
