"""Nothing lost, nothing doubled: a broker that is down, a worker killed mid-publish, a rollback."""

from __future__ import annotations

import contextlib
import datetime
import threading
from email import message_from_string
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from articles.models import Article, PublishedVersion, PublishRequest
from editorial.audit import verify_chain
from editorial.models import Notification, OutboxMessage, OutboxStatus
from editorial.outbox import enqueue, relay_pending, wait_for_background_sends
from editorial.services import publishing, workflow
from tests.conftest import worker_queue_name
from tests.factories import make_article, make_user, reviewed_article

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

            def swept_and_done() -> bool:
                relay_pending()  # as beat does every few seconds
                return not OutboxMessage.objects.exclude(status=OutboxStatus.DONE).exists()

            wait_for(swept_and_done, 30, interval=1, message="every message relayed")
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


# --- the broker restarted, a worker killed mid-batch, the database connection killed ----------------------


def _waiting_backend_pids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return [row[0] for row in cursor.fetchall()]


@contextlib.contextmanager
def holding_row_lock(model, pk):
    """Hold FOR UPDATE on one row in another connection until the block ends: a task that writes a row
    referring to it (or locks it) waits there, mid-flight."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                locked.set()
                release.wait(90)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def _emails_in(directory: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every message Django's file backend wrote."""
    found = []
    for path in directory.glob("*.log"):
        for raw in path.read_text().split("-" * 79):
            if not raw.strip():
                continue
            message = message_from_string(raw.strip())
            found.append((message["To"], message["Subject"]))
    return found


def _assert_invariants() -> None:
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.DONE).exists(), list(
        OutboxMessage.objects.exclude(status=OutboxStatus.DONE).values("kind", "status", "last_error")
    )
    duplicates = (
        Notification.objects.values("event_key", "recipient_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    assert duplicates == 0
    assert verify_chain().ok


def test_redis_stopped_and_started_mid_run_loses_nothing_and_doubles_nothing(private_redis, settings):
    """10 publishes with Redis up, Redis killed (its queue lost: no persistence), 10 more while it is down, Redis
    back empty: the sweeper sends again what was lost; 20 versions, one per request."""
    settings.EDITORIAL_OUTBOX_STALE_SECONDS = 2
    author, editor, board = _team()
    private_redis.start()
    queue = worker_queue_name()
    with project_app(private_redis.url, queue):
        articles = [reviewed_article(author, editor, [board], state="approved", title=f"Q{i}?") for i in range(20)]
        private_redis.stop()  # nothing consumes yet: what is sent now is lost with the server
        requests = [publishing.request_publication(a, actor=editor) for a in articles[:10]]
        wait_for_background_sends()
        private_redis.start()
        requests += [publishing.request_publication(a, actor=editor) for a in articles[10:15]]
        wait_for_background_sends()
        private_redis.stop()
        requests += [publishing.request_publication(a, actor=editor) for a in articles[15:]]
        wait_for_background_sends()
        assert all(r.status == "queued" for r in requests)  # every request succeeded
        private_redis.start()  # empty: the five sent while it was up are gone too
        worker = WorkerProcess(private_redis.url, queue)
        worker.start()
        try:
            worker.wait_ready()

            def swept_and_done() -> bool:
                OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
                relay_pending()  # what beat does every few seconds
                # Each publication queues its notices: done means those are handled too.
                return (
                    PublishedVersion.objects.count() == 20
                    and not OutboxMessage.objects.exclude(status=OutboxStatus.DONE).exists()
                )

            wait_for(swept_and_done, 90, interval=1, message="20 versions and their notices")
        finally:
            output = worker.stop()
    assert sorted(PublishedVersion.objects.values_list("request_id", flat=True)) == sorted(r.pk for r in requests)
    assert set(PublishRequest.objects.values_list("status", flat=True)) == {"done"}, output[-2000:]
    _assert_invariants()


def test_a_worker_killed_during_a_notification_batch_delivers_each_once(private_redis, tmp_path):
    """The batch waits on one recipient's row (held FOR UPDATE); the pool child is SIGKILLed there; the task
    comes back and finishes: one inbox entry per recipient, one email each."""
    author = make_user("author", username="author", email="a@example.org")
    editors = [make_user("editor", username=f"editor{n}", email=f"e{n}@example.org") for n in range(3)]
    private_redis.start()
    queue = worker_queue_name()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    with project_app(private_redis.url, queue):
        worker = WorkerProcess(private_redis.url, queue, EDITORIAL_TEST_MAIL_DIR=str(mail_dir), EMAIL_TIMEOUT="2")
        with holding_row_lock(get_user_model(), editors[1].pk):
            article = make_article(author)
            workflow.submit_article(article, actor=author)
            worker.start()
            try:
                wait_for(_waiting_backend_pids, 60, message="the notification batch to wait on the row")
                killed = worker.kill_child()
                wait_for(lambda: any(pid != killed for pid in worker.children()), 30, message="a new pool child")
            except BaseException:
                print(worker.stop())
                raise
        try:
            wait_for(lambda: not OutboxMessage.objects.exclude(status=OutboxStatus.DONE).exists(), 60,
                     message="the batch to be done")  # fmt: skip
            wait_for(lambda: len(_emails_in(mail_dir)) >= 3, 30, message="three emails")
        finally:
            output = worker.stop()
    entries = Notification.objects.filter(kind="submitted", article_id=article.pk)
    assert sorted(entries.values_list("recipient__username", flat=True)) == ["editor0", "editor1", "editor2"]
    assert sorted(to for to, _ in _emails_in(mail_dir)) == ["e0@example.org", "e1@example.org", "e2@example.org"]
    assert "signal 9" in output or "WorkerLostError" in output or "exited prematurely" in output, output[-2000:]
    _assert_invariants()


def test_the_database_connection_killed_mid_task_is_retried_and_publishes_once(private_redis):
    """pg_terminate_backend on the worker's connection while its publish task waits on the article: the task
    fails with the connection, retries on a new one, and makes exactly one version."""
    author, editor, board = _team()
    private_redis.start()
    queue = worker_queue_name()
    with project_app(private_redis.url, queue):
        article = reviewed_article(author, editor, [board], state="approved")
        worker = WorkerProcess(private_redis.url, queue)
        publishing.request_publication(article, actor=editor)  # in Redis; no worker consumes yet
        with holding_row_lock(Article, article.pk):
            worker.start()
            try:
                pids = wait_for(_waiting_backend_pids, 60, message="the publish task to wait on the article")
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pids[0]])
                wait_for(lambda: _waiting_backend_pids() and _waiting_backend_pids() != pids, 30,
                         message="the retried task waiting on a new connection")  # fmt: skip
            except BaseException:
                print(worker.stop())
                raise
        try:
            wait_for(lambda: PublishedVersion.objects.filter(article=article).exists(), 60, message="the version")
            wait_for(lambda: not OutboxMessage.objects.exclude(status=OutboxStatus.DONE).exists(), 30,
                     message="every message done")  # fmt: skip
        finally:
            output = worker.stop()
    assert PublishedVersion.objects.filter(article=article).count() == 1, output[-3000:]
    # Started twice (on the connection that was killed, then by the task's own retry on a new one), and the
    # start that failed with an error is not counted toward MAX_DELIVERIES: only a start that took its worker
    # down is.
    assert OutboxMessage.objects.get(kind="publish").deliveries == 1
    _assert_invariants()
