"""Scheduled publishing, cancelling, and the idempotent publish task; time passed in as `now`."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from articles.models import PublishedVersion, PublishRequest
from editorial.models import AuditEvent, Notification, OutboxMessage
from editorial.outbox import relay_pending
from editorial.services import publishing, workflow
from tests.factories import PASSWORD, reviewed_article, sign_decision

from .helpers import fresh, publish, transition, url, versions

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(author, editor, board):
    return reviewed_article(author, editor, [board], state="approved")


def _schedule(api, editor, article, at):
    response = publish(api.as_user(editor), article, publish_at=at.isoformat())
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "scheduled"
    return response.json()["id"]


def test_a_scheduled_request_publishes_only_once_its_time_has_come(api, editor, approved, run_async):
    at = timezone.now() + datetime.timedelta(hours=3)
    rid = _schedule(api, editor, approved, at)

    with run_async():
        assert publishing.queue_due_publications(now=at - datetime.timedelta(seconds=1)) == 0
    assert versions(api, approved) == []
    assert PublishRequest.objects.get(pk=rid).status == "scheduled"

    with run_async():
        assert publishing.queue_due_publications(now=at + datetime.timedelta(seconds=1)) == 1
    [v1] = versions(api, approved)
    assert (v1["number"], v1["revision"], v1["published_by"]) == (1, 1, "editor")
    assert PublishRequest.objects.get(pk=rid).status == "done"
    assert fresh(approved).live_version.number == 1

    # Nothing is left to queue: a later beat does nothing.
    with run_async():
        assert publishing.queue_due_publications(now=at + datetime.timedelta(hours=1)) == 0
    assert PublishedVersion.objects.filter(article=approved).count() == 1


def test_a_cancelled_request_never_publishes(api, editor, approved, run_async):
    at = timezone.now() + datetime.timedelta(hours=1)
    rid = _schedule(api, editor, approved, at)
    cancelled = api.post(url(approved, f"publish/{rid}/cancel/"))
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["status"] == "cancelled"
    with run_async():
        assert publishing.queue_due_publications(now=at + datetime.timedelta(days=1)) == 0
    assert versions(api, approved) == []
    assert fresh(approved).live_version_id is None
    assert AuditEvent.objects.filter(action="version.cancel", object_id=str(rid)).count() == 1
    # Cancelling again: it is no longer scheduled.
    assert api.post(url(approved, f"publish/{rid}/cancel/")).status_code == 409


def test_a_queued_request_cancelled_before_the_task_runs_makes_no_version(api, editor, approved, run_async):
    request = publishing.request_publication(approved, actor=editor)  # queued; its relay never ran (no commit)
    response = api.as_user(editor).post(url(approved, f"publish/{request.pk}/cancel/"))
    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(action="version.cancel", object_id=str(request.pk))
    assert event.before == {"status": "queued"} and event.after == {"status": "cancelled"}
    with run_async():
        relay_pending()  # the broker hands the task over late: it finds the request cancelled
    assert not PublishedVersion.objects.exists()
    assert PublishRequest.objects.get(pk=request.pk).status == "cancelled"


def test_cancelling_a_published_request_is_409(api, editor, approved, run_async):
    with run_async():
        response = publish(api.as_user(editor), approved)
    rid = response.json()["id"]
    assert PublishRequest.objects.get(pk=rid).status == "done"
    refused = api.post(url(approved, f"publish/{rid}/cancel/"))
    assert refused.status_code == 409, refused.json()
    assert PublishRequest.objects.get(pk=rid).status == "done"
    assert fresh(approved).live_version.number == 1


def test_cancelling_another_articles_request_is_404(api, author, editor, board, approved):
    other = reviewed_article(author, editor, [board], state="approved", title="Another article")
    rid = _schedule(api, editor, approved, timezone.now() + datetime.timedelta(hours=1))
    assert api.post(url(other, f"publish/{rid}/cancel/")).status_code == 404
    assert api.post(url(approved, "publish/999999/cancel/")).status_code == 404
    assert PublishRequest.objects.get(pk=rid).status == "scheduled"


def test_running_the_publish_task_twice_makes_one_version(editor, approved, run_async):
    request = publishing.request_publication(approved, actor=editor)
    with run_async():
        first = publishing.run_publication(request.pk)
        second = publishing.run_publication(request.pk)
    assert first is not None and second is not None and first.pk == second.pk
    assert PublishedVersion.objects.filter(article=approved).count() == 1
    assert AuditEvent.objects.filter(action="version.publish", article_id=approved.pk).count() == 1
    # The outbox message for the request is relayed later still: the task finds it done.
    OutboxMessage.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=1))
    with run_async():
        relay_pending()
    assert PublishedVersion.objects.filter(article=approved).count() == 1
    assert OutboxMessage.objects.get(dedupe_key=f"publish:{request.pk}").status == "done"
    # One announcement: author and editor, once each.
    assert sorted(Notification.objects.filter(kind="published").values_list("recipient__username", flat=True)) == [
        "author",
        "editor",
    ]


def test_a_rejection_cancels_the_scheduled_publication_at_once(api, author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate")
    at = timezone.now() + datetime.timedelta(hours=1)
    rid = _schedule(api, editor, article, at)
    sign_decision(fresh(article), verdict="reject", actor=board, password=PASSWORD, comment="Unsafe")
    request = PublishRequest.objects.get(pk=rid)
    assert request.status == "cancelled" and request.outcome == "The board rejected this article: Unsafe"
    event = AuditEvent.objects.get(action="version.cancel", article_id=article.pk)
    assert event.actor_id is None and event.reason == request.outcome
    assert (event.before, event.after) == ({"status": "scheduled"}, {"status": "cancelled"})
    with run_async():
        assert publishing.queue_due_publications(now=at + datetime.timedelta(minutes=1)) == 0
    assert not PublishedVersion.objects.exists()


def test_a_withdrawal_cancels_the_scheduled_publication_of_an_approved_revision(
    api, author, editor, board, approved, run_async
):
    """Approved, scheduled, then back under review and withdrawn: the approved revision must not go live."""
    at = timezone.now() + datetime.timedelta(hours=1)
    rid = _schedule(api, editor, approved, at)
    workflow.open_rereview(fresh(approved), actor=editor)
    response = transition(api.as_user(editor), approved, "withdraw", comment="Superseded by new guidance")
    assert response.status_code == 200, response.json()
    request = PublishRequest.objects.get(pk=rid)
    assert (request.status, request.outcome) == ("cancelled", "The article was withdrawn: Superseded by new guidance")
    assert AuditEvent.objects.filter(action="version.cancel", object_id=str(rid), actor=None).count() == 1
    with run_async():
        assert publishing.queue_due_publications(now=at + datetime.timedelta(minutes=1)) == 0
    assert not PublishedVersion.objects.exists()


def test_a_queued_publication_cancelled_by_a_rejection_makes_no_version_when_its_task_runs(
    api, author, editor, board, run_async
):
    """Queued (its task not yet run) when the board rejects: the task finds it cancelled."""
    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate")
    assert publish(api.as_user(editor), article).status_code == 202  # queued; the task runs after the commit
    request = PublishRequest.objects.get()
    sign_decision(fresh(article), verdict="reject", actor=board, password=PASSWORD, comment="Unsafe")
    assert publishing.run_publication(request.pk) is None
    assert PublishRequest.objects.get().status == "cancelled" and not PublishedVersion.objects.exists()


def test_a_second_request_for_a_queued_revision_is_409(api, editor, approved):
    rid = _schedule(api, editor, approved, timezone.now() + datetime.timedelta(hours=1))
    again = publish(api, approved)
    assert again.status_code == 409 and again.json()["code"] == "already_queued"
    assert list(PublishRequest.objects.values_list("pk", flat=True)) == [rid]
