"""The outbox: written with the change or not at all; a message that cannot be relayed ends up dead."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import transaction
from django.utils import timezone

from articles.models import PublishedVersion, PublishRequest
from editorial import outbox
from editorial.models import Notification, OutboxMessage, OutboxStatus
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
    outbox.enqueue("notify", {"kind": "x"}, dedupe_key="same")
    outbox.enqueue("notify", {"kind": "y"}, dedupe_key="same")
    assert list(OutboxMessage.objects.filter(dedupe_key="same").values_list("payload", flat=True)) == [{"kind": "x"}]


def test_messages_enqueued_together_are_one_insert_and_all_handed_over(django_assert_num_queries,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    with (
        django_capture_on_commit_callbacks() as callbacks,
        transaction.atomic(),
        django_assert_num_queries(1),
        outbox.one_insert(),
    ):
        outbox.enqueue("notify", {"kind": "x"}, dedupe_key="together:1")
        outbox.enqueue("notify", {"kind": "y"}, dedupe_key="together:2")
        outbox.enqueue("notify", {"kind": "z"}, dedupe_key="together:1")  # a duplicate: not written
    written = OutboxMessage.objects.filter(dedupe_key__startswith="together:")
    assert sorted(written.values_list("dedupe_key", flat=True)) == ["together:1", "together:2"]
    assert len(callbacks) == 1  # one hand-over for the batch, after the commit


def test_a_block_that_fails_writes_none_of_its_messages():
    with pytest.raises(Boom), transaction.atomic(), outbox.one_insert():
        outbox.enqueue("notify", {"kind": "x"}, dedupe_key="failed:1")
        raise Boom
    assert not OutboxMessage.objects.filter(dedupe_key="failed:1").exists()
    outbox.enqueue("notify", {"kind": "x"}, dedupe_key="after:1")  # the batch is over: written at once
    assert OutboxMessage.objects.filter(dedupe_key="after:1").exists()


def message(dedupe_key: str) -> OutboxMessage:
    return OutboxMessage.objects.get(dedupe_key=dedupe_key)


def _make_due(dedupe_key: str, *, stale: bool = True) -> None:
    """Its backoff over, and (stale) handed over long enough ago that the sweeper takes it again."""
    past = timezone.now() - outbox.stale_after() - datetime.timedelta(seconds=1)
    fields = {"next_attempt_at": timezone.now() - datetime.timedelta(seconds=1)}
    if stale:
        fields.update(dispatched_at=past, created_at=past)
    OutboxMessage.objects.filter(dedupe_key=dedupe_key).update(**fields)


def notify_payload(key: str, recipients=()) -> dict:
    return {"kind": "submitted", "event_key": key, "recipient_ids": list(recipients), "subject": "s", "body": "b"}


def test_a_message_is_done_only_when_its_handler_has_finished(monkeypatch, django_capture_on_commit_callbacks):
    calls = []

    def failing(payload):
        calls.append(payload)
        raise Boom("the handler fell over")

    monkeypatch.setitem(outbox.HANDLERS, "flaky", outbox.Handler(failing, batched=False))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue("flaky", {"n": 1}, dedupe_key="flaky")
    flaky = message("flaky")
    assert (flaky.status, flaky.last_error, flaky.claimed_until) == (
        OutboxStatus.PENDING,
        "Boom: the handler fell over",
        None,
    )
    assert flaky.next_attempt_at > timezone.now()  # backs off
    assert outbox.relay_pending() == 0  # not due yet
    monkeypatch.setitem(outbox.HANDLERS, "flaky", outbox.Handler(calls.append, batched=False))
    _make_due("flaky")
    assert outbox.relay_pending() == 1
    flaky = message("flaky")
    assert (flaky.status, flaky.attempts, len(calls)) == (OutboxStatus.DONE, 1, 2)
    assert flaky.done_at is not None
    assert outbox.run_message(flaky.pk) == "skipped"  # a redelivery after it is done does nothing
    assert len(calls) == 2


def test_a_message_whose_send_keeps_failing_backs_off_then_dies(monkeypatch):
    calls = []

    def unreachable(message_id):
        calls.append(message_id)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(outbox, "_eager", lambda: False)
    monkeypatch.setattr(outbox, "_send", unreachable)
    outbox.enqueue("notify", notify_payload("k"), dedupe_key="poison")
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        _make_due("poison")
        start = timezone.now()
        assert outbox.relay_pending() == 0
        poison = message("poison")
        assert (poison.status, poison.attempts) == (OutboxStatus.PENDING, attempt)
        assert poison.last_error == "ConnectionError: broker unreachable"
        assert poison.next_attempt_at >= start + datetime.timedelta(seconds=2)
    _make_due("poison")
    assert outbox.relay_pending() == 0
    assert message("poison").status == OutboxStatus.DEAD
    for _ in range(3):  # dead: never tried again, however often the sweeper runs
        _make_due("poison")
        outbox.relay_pending()
    assert len(calls) == outbox.MAX_ATTEMPTS


def test_a_task_that_takes_its_worker_down_is_dead_after_so_many_deliveries(monkeypatch):
    """With acks_late and reject_on_worker_lost the broker redelivers it for ever; the count stops that."""
    started = []
    monkeypatch.setitem(outbox.HANDLERS, "crashing", outbox.Handler(started.append, batched=False))
    outbox.enqueue("crashing", {}, dedupe_key="crashing")
    crashing = message("crashing")
    for delivery in range(1, outbox.MAX_DELIVERIES + 1):
        # The worker claims it and dies before finishing: the lease runs out, the broker redelivers it.
        claimed = outbox._claim(str(crashing.pk))
        assert [m.pk for m in claimed] == [crashing.pk]
        OutboxMessage.objects.filter(pk=crashing.pk).update(claimed_until=timezone.now() - datetime.timedelta(1))
        assert message("crashing").deliveries == delivery
    assert outbox.run_message(crashing.pk) == "skipped"
    crashing = message("crashing")
    assert crashing.status == OutboxStatus.DEAD and "worker down" in crashing.last_error
    assert started == []  # the last delivery did not run it again
    outbox.enqueue("notify", notify_payload("healthy"), dedupe_key="healthy")
    assert outbox.run_message(message("healthy").pk) == "notify"  # others are not held up
    assert message("healthy").status == OutboxStatus.DONE


def test_a_message_taken_in_batches_that_takes_its_worker_down_is_dead_after_so_many_starts(author):
    """Most messages of a batched kind are taken by another message's task: those starts count too."""
    outbox.enqueue("notify", notify_payload("leader", [author.pk]), dedupe_key="leader")
    outbox.enqueue("notify", notify_payload("poison", [author.pk]), dedupe_key="poison")
    poison = message("poison")
    for start in range(1, outbox.MAX_DELIVERIES + 1):
        # A batch takes it, and the worker dies: the leases run out.
        leader = message("leader")
        claimed = outbox._claim(str(leader.pk))
        assert poison.pk in [m.pk for m in claimed]
        OutboxMessage.objects.update(claimed_until=timezone.now() - datetime.timedelta(1))
        assert message("poison").deliveries == start
    outbox.enqueue("notify", notify_payload("healthy", [author.pk]), dedupe_key="healthy")
    # The next batch leaves the worn-out message out, dead; the healthy one is delivered.
    assert [m.pk for m in outbox._claim(str(message("healthy").pk))] == [message("healthy").pk]
    assert message("poison").status == OutboxStatus.DEAD and "worker down" in message("poison").last_error


def test_notify_messages_are_delivered_in_batches(author, editor):
    for n in range(7):
        outbox.enqueue("notify", notify_payload(f"batch:{n}", [author.pk, editor.pk]), dedupe_key=f"batch:{n}")
    first = OutboxMessage.objects.order_by("created_at").first()
    assert outbox.run_message(first.pk) == "notify"
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}
    assert Notification.objects.count() == 14
    assert all(outbox.run_message(m.pk) == "skipped" for m in OutboxMessage.objects.all())
    assert Notification.objects.count() == 14


def test_the_sweeper_sends_again_what_was_handed_over_but_not_done(monkeypatch, django_capture_on_commit_callbacks):
    """A message lost by the broker (a restart without persistence): pending, handed over, never done."""
    sent = []
    monkeypatch.setattr(outbox, "_eager", lambda: False)
    monkeypatch.setattr(outbox, "_send", sent.append)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue("notify", notify_payload("lost"), dedupe_key="lost")
    outbox.wait_for_background_sends()
    lost = message("lost")
    assert sent == [str(lost.pk)] and lost.status == OutboxStatus.PENDING  # handed over in the background
    assert outbox.relay_pending() == 0  # made a moment ago: not stale yet
    _make_due("lost")
    assert outbox.relay_pending() == 1
    assert sent == [str(lost.pk)] * 2


def test_a_redelivered_task_takes_its_message_at_once_but_batches_leave_leased_ones_alone(author):
    """After a worker dies mid-task the broker redelivers the task at once; its lease must not hold it back."""
    for key in ("first", "second"):
        outbox.enqueue("notify", notify_payload(key, [author.pk]), dedupe_key=key)
    first, second = message("first"), message("second")
    assert [m.pk for m in outbox._claim(str(first.pk))] == [first.pk, second.pk]  # one batch, both leased
    assert message("second").claimed_until is not None
    # The worker died; the task for "first" comes back while both leases still run.
    assert [m.pk for m in outbox._claim(str(first.pk))] == [first.pk]  # "second" stays with its lease
    assert message("first").deliveries == 2
    assert outbox.relay_pending() == 0  # leased messages are not sent again by the sweeper
    assert outbox.run_message(second.pk) == "notify"  # its own task takes it too
    assert message("second").status == OutboxStatus.DONE


def test_when_the_broker_is_down_the_sweeper_stops_at_the_first_failed_send(monkeypatch):
    calls = []

    def unreachable(message_id):
        calls.append(message_id)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(outbox, "_eager", lambda: False)
    monkeypatch.setattr(outbox, "_send", unreachable)
    for key in ("a", "b", "c"):
        outbox.enqueue("notify", notify_payload(key), dedupe_key=key)
        _make_due(key)
    assert outbox.relay_pending() == 0
    assert len(calls) == 1  # one connection attempt, not one per message
    attempts = sorted(OutboxMessage.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=False).exists()


def test_messages_of_a_batched_kind_committed_together_travel_as_one_task_per_batch(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(outbox, "_eager", lambda: False)
    monkeypatch.setattr(outbox, "_send", sent.append)
    # The sender thread busy while the transaction's hand-overs arrive: they all wait for it together (how many
    # arrive before it is free again is a matter of timing otherwise).
    busy = threading.Event()
    outbox._sender.submit(busy.wait, 10)
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            for n in range(2 * outbox.BATCH + 3):
                outbox.enqueue("notify", notify_payload(f"many:{n}"), dedupe_key=f"many:{n}")
            outbox.enqueue("publish", {"request_id": 0}, dedupe_key="one-publish")
    finally:
        busy.set()
    outbox.wait_for_background_sends()
    notify = [str(m.pk) for m in OutboxMessage.objects.filter(kind="notify").order_by("created_at")]
    # Each batch's first message carries it; the publish message has its own task.
    assert sorted(sent) == sorted(
        [notify[0], notify[outbox.BATCH], notify[2 * outbox.BATCH], str(message("one-publish").pk)]
    )


def test_tasks_for_groups_a_batched_kind_by_batch_and_leaves_the_others_one_each():
    messages = [(f"n{i}", "notify") for i in range(outbox.BATCH + 2)] + [("p", "publish"), ("r", None)]
    tasks = outbox._tasks_for(messages)
    assert [len(task) for task in tasks] == [outbox.BATCH, 2, 1, 1]
    assert [task[0] for task in tasks] == ["n0", f"n{outbox.BATCH}", "p", "r"]


def test_a_task_whose_message_a_batch_did_takes_the_free_ones_of_its_kind(author):
    """One task per batch is sent: when another batch took its message, the task still takes a batch, so
    that no message is left to the sweeper."""
    for key in ("first", "second", "third"):
        outbox.enqueue("notify", notify_payload(key, [author.pk]), dedupe_key=key)
    OutboxMessage.objects.filter(dedupe_key="first").update(status=OutboxStatus.DONE)
    OutboxMessage.objects.filter(dedupe_key="third").update(claimed_until=timezone.now() + outbox.LEASE)
    assert outbox.run_message(message("first").pk) == "notify"
    assert message("second").status == OutboxStatus.DONE
    assert message("third").status == OutboxStatus.PENDING  # under another worker's lease: left alone
    assert message("first").deliveries == 0  # done before: not started again
    assert outbox.run_message(message("first").pk) == "skipped"  # nothing free left


def test_a_done_message_of_an_unbatched_kind_is_skipped_without_a_lock(django_assert_num_queries):
    outbox.enqueue("publish", {"request_id": 0}, dedupe_key="done-publish")
    OutboxMessage.objects.filter(dedupe_key="done-publish").update(status=OutboxStatus.DONE)
    done = message("done-publish").pk
    with django_assert_num_queries(1):
        assert outbox.run_message(done) == "skipped"


def test_tasks_of_a_batched_kind_leave_no_message_for_the_sweeper_whatever_order_they_run_in(author):
    """One task per BATCH messages handed over together: the task of the second batch may run first and take
    the first task's own message; the first task then runs its own again and still finds room for the rest."""
    count = 2 * outbox.BATCH
    for n in range(count):
        outbox.enqueue("notify", notify_payload(f"room:{n}", [author.pk]), dedupe_key=f"room:{n}")
    ordered = list(OutboxMessage.objects.order_by("created_at"))
    first_task, second_task = ordered[0], ordered[outbox.BATCH]

    taken = {m.pk for m in outbox._claim(str(second_task.pk))}
    assert first_task.pk in taken  # the oldest, with the second task's batch
    taken |= {m.pk for m in outbox._claim(str(first_task.pk))}

    assert taken == {m.pk for m in ordered}


def test_one_payload_that_raises_does_not_hold_back_or_dead_letter_its_batch(author):
    """A handler that raises has not taken its worker down: the batch's messages are run one by one, the
    others are done, and the one at fault backs off without counting toward MAX_DELIVERIES."""
    outbox.enqueue("notify", {"kind": "submitted"}, dedupe_key="broken")  # no event key: the handler raises
    for n in range(3):
        outbox.enqueue("notify", notify_payload(f"mate:{n}", [author.pk]), dedupe_key=f"mate:{n}")

    with pytest.raises(KeyError):
        outbox.run_message(message("mate:0").pk)

    assert {message(f"mate:{n}").status for n in range(3)} == {OutboxStatus.DONE}
    assert Notification.objects.filter(recipient=author).count() == 3
    broken = message("broken")
    assert broken.status == OutboxStatus.PENDING and broken.deliveries == 0 and "KeyError" in broken.last_error
    assert broken.next_attempt_at > timezone.now() and broken.claimed_until is None
    # Backing off: a batch leaves it alone meanwhile, however many batches run.
    for n in range(outbox.MAX_DELIVERIES + 1):
        outbox.enqueue("notify", notify_payload(f"later:{n}", [author.pk]), dedupe_key=f"later:{n}")
        assert outbox.run_message(message(f"later:{n}").pk) == "notify"
    assert message("broken").status == OutboxStatus.PENDING and message("broken").deliveries == 0
