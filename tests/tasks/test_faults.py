"""Nothing lost, nothing doubled: a broker that is down, a worker killed mid-publish, a rollback."""

from __future__ import annotations

import datetime
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article, PublishedVersion, PublishRequest
from editorial.models import Notification, OutboxMessage, OutboxStatus
from editorial.outbox import enqueue, relay_pending, wait_for_background_sends
from editorial.services import publishing
from tests.conftest import worker_queue_name
from tests.factories import make_user, reviewed_article

from .conftest import WorkerProcess, project_app, wait_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _team():
    return (
        make_user("author", username="author", email="a@example.org"),
        make_user("editor", username="editor", email="e@example.org"),
        make_user("board", username="board1"),
    )


def test_broker_down_requests_succeed_and_the_relay_delivers_all_later(private_redis):
    """20 publishes while Redis is down: every request succeeds; once it is back, 20 versions, no duplicates."""
    author, editor, board = _team()
    queue = worker_queue_name()
    with project_app(private_redis.url, queue) as app:  # the port is closed: nothing listens yet
        articles = [
            reviewed_article(author, editor, [board], state="approved", title=f"Question {i}?") for i in range(20)
        ]
        requests = [publishing.request_publication(article, actor=editor) for article in articles]
        assert all(r.status == "queued" for r in requests)
        publish_messages = OutboxMessage.objects.filter(kind="publish")
        assert publish_messages.count() == 20
        wait_for_background_sends()  # each send was tried, away from the request, and failed
        assert publish_messages.filter(status=OutboxStatus.PENDING, dispatched_at__isnull=True).count() == 20
        assert PublishedVersion.objects.count() == 0

        private_redis.start()
        OutboxMessage.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=1))
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20, loglevel="WARNING"):
            relay_pending()
            wait_for(lambda: PublishedVersion.objects.count() == 20, 60, message="20 versions")
            wait_for(
                lambda: not OutboxMessage.objects.exclude(status=OutboxStatus.DONE).exists(),
                30,
                message="every message relayed",
            )
            relay_pending()  # a second relay finds nothing to send
        assert PublishedVersion.objects.count() == 20
        assert sorted(PublishedVersion.objects.values_list("article_id", "number")) == sorted(
            (a.pk, 1) for a in articles
        )
        assert all(r.status == "done" for r in PublishRequest.objects.all())


def test_a_worker_killed_mid_publish_is_redelivered_and_makes_one_version(private_redis):
    """SIGKILL the worker's pool child while it waits on the article's row lock; the task runs again, once."""
    author, editor, board = _team()
    private_redis.start()
    queue = worker_queue_name()
    with project_app(private_redis.url, queue):
        article = reviewed_article(author, editor, [board], state="approved")
        worker = WorkerProcess(private_redis.url, queue)
        locked, release = threading.Event(), threading.Event()

        def hold_article_lock():
            # The publish task locks the article first; holding that lock keeps the task mid-flight.
            with transaction.atomic():
                Article.objects.select_for_update().get(pk=article.pk)
                locked.set()
                release.wait(60)
            connection.close()

        publishing.request_publication(article, actor=editor)  # queued in Redis; no worker runs yet
        holder = threading.Thread(target=hold_article_lock)
        holder.start()
        locked.wait(10)
        try:
            worker.start()
            wait_for(_publish_waiting_on_lock, 30, message="the publish task to wait on the lock")
            killed = worker.kill_child()
            wait_for(lambda: any(pid != killed for pid in worker.children()), 30, message="a new pool child")
            release.set()
            holder.join(10)
            wait_for(lambda: PublishedVersion.objects.filter(article=article).exists(), 60, message="the version")
        finally:
            release.set()
            holder.join(10)
            output = worker.stop()
        assert PublishedVersion.objects.filter(article=article).count() == 1, output
        assert "WorkerLostError" in output or "exited prematurely" in output or "signal 9" in output, output


def _publish_waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_a_rolled_back_change_sends_nothing(broker):
    author, editor, board = _team()
    article = reviewed_article(author, editor, [board], state="approved")
    mail.outbox.clear()
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.request_publication(article, actor=editor)
        enqueue(
            "notify",
            {"kind": "published", "event_key": "x", "recipient_ids": [author.pk], "subject": "s", "body": "b"},
            dedupe_key="rollback-test",
        )
        raise RuntimeError("the change fails after queuing its work")
    assert OutboxMessage.objects.count() == before
    assert PublishRequest.objects.count() == 0
    assert not Notification.objects.filter(event_key="x").exists()
    assert mail.outbox == []
