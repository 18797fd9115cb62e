"""Publishing and notifications through Redis and a real Celery worker."""

from __future__ import annotations

import pytest
from django.core import mail

from articles.models import PublishedVersion
from editorial.models import Notification, OutboxMessage, OutboxStatus
from editorial.services import publishing
from editorial.tasks import dispatch_outbox_message
from tests.factories import make_user, reviewed_article

from .conftest import wait_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _people():
    author = make_user("author", username="author", email="author@example.org")
    editor = make_user("editor", username="editor", email="editor@example.org")
    board = make_user("board", username="board1")
    board.email = "board1@example.org"
    board.save()
    return author, editor, board


def test_a_publish_request_becomes_a_version_through_the_worker(worker_thread):
    author, editor, board = _people()
    article = reviewed_article(author, editor, [board], state="approved")
    request = publishing.request_publication(article, actor=editor)
    version = wait_for(lambda: PublishedVersion.objects.filter(request=request).first(), message="the version")
    assert version.number == 1
    assert version.revision_id == article.current_revision_id
    assert "<h2>From the Guidelines</h2>" in version.html
    article.refresh_from_db()
    assert article.live_version_id == version.pk
    message = OutboxMessage.objects.get(dedupe_key=f"publish:{request.pk}")
    assert message.status == OutboxStatus.DONE


def test_notifications_reach_inbox_and_mailbox_exactly_once(worker_thread):
    author, editor, board = _people()
    mail.outbox.clear()
    article = reviewed_article(author, editor, [board], state="approved")
    # The approval notice goes to the author, the editors and the approving members.
    wait_for(lambda: Notification.objects.filter(kind="approved").count() == 3, message="approval notices")
    wait_for(lambda: OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 0, message="outbox drained")
    wait_for(
        lambda: not Notification.objects.filter(email_mode="immediate", emailed_at__isnull=True).exists(),
        message="emails sent",
    )
    approved_mail = [m for m in mail.outbox if m.subject.startswith("[Editorial] Approved")]
    assert sorted(m.to[0] for m in approved_mail) == ["author@example.org", "board1@example.org", "editor@example.org"]
    # The decision notice goes to the author and editors, not to the member who signed it.
    assert set(Notification.objects.filter(kind="decision").values_list("recipient__username", flat=True)) == {
        "author",
        "editor",
    }
    assert Notification.objects.filter(recipient=board, kind="assigned", article_id=article.pk).count() == 1
    # Every notification row was emailed once: as many emails as rows with an address.
    assert len(mail.outbox) == Notification.objects.exclude(recipient__email="").count()


def test_the_same_task_delivered_twice_makes_one_version_and_one_email(worker_thread):
    author, editor, board = _people()
    article = reviewed_article(author, editor, [board], state="approved")
    request = publishing.request_publication(article, actor=editor)
    wait_for(lambda: PublishedVersion.objects.filter(request=request).exists(), message="the version")
    message = OutboxMessage.objects.get(dedupe_key=f"publish:{request.pk}")
    wait_for(lambda: Notification.objects.filter(kind="published").count() == 2, message="publication notices")
    # The rows are written before their emails go out: count the mailbox once every email is sent.
    wait_for(
        lambda: not Notification.objects.filter(email_mode="immediate", emailed_at__isnull=True).exists(),
        message="emails sent",
    )
    wait_for(lambda: _queue_empty(worker_thread), message="the first delivery to finish")
    emails_before = len(mail.outbox)
    # Redeliver the publish message and its notification, as a broker would after a lost ack.
    notify_message = OutboxMessage.objects.get(kind="notify", payload__kind="published")
    for again in (message, notify_message):
        dispatch_outbox_message.apply_async(args=[str(again.pk)], task_id=str(again.pk))
    wait_for(lambda: _queue_empty(worker_thread), message="the redelivered tasks to run")
    assert PublishedVersion.objects.filter(article=article).count() == 1
    assert Notification.objects.filter(kind="published").count() == 2
    assert len(mail.outbox) == emails_before


def _queue_empty(app) -> bool:
    """Nothing of our queue waits or runs (the unacked hash is shared; look only at our messages), twice
    half a second apart, since a message is briefly in neither place while a worker takes it."""
    import time

    import redis

    client = redis.Redis.from_url(app.conf.broker_url)
    queue = app.conf.task_default_queue

    def idle() -> bool:
        return client.llen(queue) == 0 and not any(queue.encode() in raw for raw in client.hvals("unacked"))

    if not idle():
        return False
    time.sleep(0.5)
    return idle()
