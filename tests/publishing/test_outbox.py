"""The outbox: written with the change or not at all; a message that cannot be relayed ends up dead."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from articles.models import PublishedVersion, PublishRequest
from editorial import outbox
from editorial.models import OutboxMessage, OutboxStatus
from editorial.services import publishing
from tests.factories import reviewed_article

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_a_change_that_fails_after_enqueue_leaves_no_outbox_message(author, editor, board,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    article = reviewed_article(author, editor, [board], state="approved")
    messages = OutboxMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        publishing.request_publication(article, actor=editor)
        assert OutboxMessage.objects.filter(kind="publish").count() == 1
        raise Boom
    assert callbacks == []  # the relay was never scheduled
    assert OutboxMessage.objects.count() == messages
    assert not PublishRequest.objects.exists()
    assert not PublishedVersion.objects.exists()


def test_enqueue_is_deduplicated_by_key():
    first = outbox.enqueue("notify", {"kind": "x"}, dedupe_key="same")
    second = outbox.enqueue("notify", {"kind": "y"}, dedupe_key="same")
    assert first.pk == second.pk
    assert OutboxMessage.objects.filter(dedupe_key="same").count() == 1


def _make_due(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))


def test_a_failing_publish_is_rescheduled_with_backoff_then_dead(monkeypatch):
    calls = []

    def broken(message):
        calls.append(message.pk)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(outbox, "_publish", broken)
    message = outbox.enqueue("notify", {"kind": "x"}, dedupe_key="poison")

    start = timezone.now()
    assert outbox.relay_pending() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.last_error == "ConnectionError: broker unreachable"
    assert message.next_attempt_at >= start + datetime.timedelta(seconds=2)
    # Not due yet: the next relay leaves it alone.
    assert outbox.relay_pending() == 0
    assert len(calls) == 1

    for attempt in range(2, outbox.MAX_ATTEMPTS + 1):
        _make_due(message)
        assert outbox.relay_pending() == 0
        message.refresh_from_db()
        assert message.attempts == attempt
        expected = OutboxStatus.DEAD if attempt == outbox.MAX_ATTEMPTS else OutboxStatus.PENDING
        assert message.status == expected

    # Dead: never tried again, however often the relay runs.
    for _ in range(3):
        _make_due(message)
        assert outbox.relay_pending() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, outbox.MAX_ATTEMPTS)
    assert len(calls) == outbox.MAX_ATTEMPTS


def test_a_poison_message_whose_task_always_fails_dies_without_blocking_others():
    """In-process (eager) dispatch: an unknown kind raises in the task every time."""
    poison = outbox.enqueue("no-such-kind", {}, dedupe_key="poison-kind")
    for _ in range(outbox.MAX_ATTEMPTS):
        _make_due(poison)
        outbox.relay_pending()
    poison.refresh_from_db()
    assert poison.status == OutboxStatus.DEAD and poison.attempts == outbox.MAX_ATTEMPTS
    assert "ValueError" in poison.last_error

    healthy = outbox.enqueue("notify", {"kind": "submitted", "event_key": "k", "recipient_ids": [], "subject": "s",
                                        "body": "b"}, dedupe_key="healthy")  # fmt: skip
    assert outbox.relay_pending() == 1
    healthy.refresh_from_db()
    assert healthy.status == OutboxStatus.SENT and healthy.attempts == 1
