"""The transactional outbox: work is written in the transaction of the change that causes it, handed over after
the commit, and done only when its handler has finished.

- `enqueue` writes a message (one INSERT; a message with the same dedupe key is not written twice).
- After the commit the new messages are handed over: in the embedded default (no broker) they run in-process,
  after the commit, holding no lock; with a broker they are sent from a background thread, so a slow or
  hung broker never holds up the request.
- A worker claims a message (a lease), runs its handler outside any transaction, and marks it done. A
  handler must be idempotent: a message may run again after a crash, and it must then do nothing twice.
- The sweeper (`relay_pending`, beat every few seconds) sends again what is pending and was not done in time:
  lost on the way, lost by a broker restart, its worker killed. After MAX_ATTEMPTS sends, or after
  MAX_DELIVERIES starts by workers (a task that kills its worker), the message is dead: editors see it on
  their desk and may retry it.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage, OutboxStatus

log = logging.getLogger("editorial.outbox")

MAX_ATTEMPTS = 12  # sends by the sweeper
MAX_DELIVERIES = 5  # starts by a worker; more means the task takes its worker down with it
LEASE = datetime.timedelta(minutes=5)  # longer than any handler runs (the task's hard limit is 3 minutes)
BATCH = 50  # messages of a batched kind handled together
# The Celery task that runs a message, by name: the outbox never imports the tasks module.
DISPATCH_TASK = "editorial.dispatch_outbox_message"


class Handler:
    def __init__(self, function: Callable, batched: bool) -> None:
        self.function, self.batched = function, batched

    def run(self, payloads: list[dict]) -> None:
        if self.batched:
            self.function(payloads)
        else:
            for payload in payloads:
                self.function(payload)


# Message kind -> its handler, registered by the module that owns the work.
HANDLERS: dict[str, Handler] = {}

_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-send")


def handles(kind: str, *, batched: bool = False) -> Callable:
    """Register the decorated function as the handler of `kind` (called with a payload, or with a list of
    payloads when `batched`)."""

    def register(function: Callable) -> Callable:
        existing = HANDLERS.get(kind)
        if existing is not None and existing.function is not function:
            raise RuntimeError(f"Outbox message kind {kind!r} already has a handler")
        HANDLERS[kind] = Handler(function, batched)
        return function

    return register


_batch = threading.local()


def enqueue(kind: str, payload: dict, *, dedupe_key: str) -> None:
    """Record work to do; call inside the transaction of the change. It is handed over once that commits."""
    message = OutboxMessage(id=uuid.uuid4(), kind=kind, payload=payload, dedupe_key=dedupe_key)
    rows = getattr(_batch, "rows", None)
    if rows is not None:
        rows.append(message)  # written with the others at the end of `one_insert`
        return
    OutboxMessage.objects.bulk_create([message], ignore_conflicts=True)
    hand_over_after_commit(message.pk, kind)


@contextlib.contextmanager
def one_insert():
    """The messages enqueued in the block are written in one INSERT at its end, still in the transaction (a
    change that queues several kinds of work: one statement instead of one each)."""
    outer = getattr(_batch, "rows", None)
    rows: list[OutboxMessage] = []
    _batch.rows = rows
    try:
        yield
    finally:
        _batch.rows = outer
    if rows:
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
        transaction.on_commit(functools.partial(_hand_over, [(str(m.pk), m.kind) for m in rows]), robust=True)


def hand_over_after_commit(message_id, kind: str | None = None) -> None:
    """Hand the message over once the current transaction commits (enqueue, and an editor's retry)."""
    # robust: a broker that is down must not turn a committed change into an error for the user.
    transaction.on_commit(functools.partial(_hand_over, [(str(message_id), kind)]), robust=True)


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


# Messages handed over and not yet sent, as (id, kind): the background sender takes all that are waiting at
# once, so that the messages of a batched kind committed together travel as one task per BATCH.
_waiting: list[tuple[str, str | None]] = []
_waiting_lock = threading.Lock()


def _hand_over(messages: list[tuple[str, str | None]]) -> None:
    if _eager():
        # Embedded default: in-process, after the commit, with no lock held; what fails stays pending.
        for message_id, _kind in messages:
            try:
                run_message(message_id)
            except Exception:
                log.exception("outbox message %s failed; the sweeper will retry it", message_id)
    else:
        with _waiting_lock:
            start = not _waiting  # else a send of the waiting ones is queued already and will take these too
            _waiting.extend(messages)
        if start:
            try:
                _sender.submit(_send_waiting)
            except RuntimeError:  # the interpreter is shutting down: the sweeper sends them
                with _waiting_lock:
                    _waiting.clear()


def _after_fork_in_child() -> None:
    """A forked process sends its own messages: a sender thread and lock of its own, nothing of the parent's."""
    global _sender, _waiting_lock
    _sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-send")
    _waiting_lock = threading.Lock()
    _waiting.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _send_waiting() -> None:
    with _waiting_lock:
        messages = _waiting[:]
        _waiting.clear()
    _send_in_background(_tasks_for(messages))


def _tasks_for(messages: list[tuple[str, str | None]]) -> list[list[str]]:
    """The tasks that carry the messages, each as the ids it covers (the task is sent for the first): one per
    message, except for a batched kind, one per BATCH of its messages (the first one's task takes a batch of
    its kind, the others with it)."""
    tasks: list[list[str]] = []
    batches: dict[str, list[str]] = {}
    for message_id, kind in messages:
        handler = HANDLERS.get(kind) if kind else None
        if handler is None or not handler.batched:
            tasks.append([message_id])
            continue
        batch = batches.get(kind)
        if batch is None or len(batch) >= BATCH:
            batch = batches[kind] = []
            tasks.append(batch)
        batch.append(message_id)
    return tasks


def _send(message_id: str) -> None:
    # The task id is the message id: a message sent twice is recognisable, and claimed only once.
    current_app.send_task(
        DISPATCH_TASK,
        args=[message_id],
        task_id=message_id,
        retry=True,
        retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1},
    )


# After a failed send, the background sender leaves new messages to the sweeper for a while: a broker that is
# down costs each request nothing, and the sender one connection attempt per pause, not one per message.
BROKER_PAUSE = 5.0
_broker_down_until = 0.0


def broker_back() -> None:
    """A send went through (or a new broker is configured): the background sender need not wait any longer."""
    global _broker_down_until
    _broker_down_until = 0.0


def _send_in_background(tasks: list[list[str]]) -> None:
    """Send each task (for its first message); the messages it covers are marked handed over."""
    global _broker_down_until
    sent = []
    try:
        for covered in tasks:
            if time.monotonic() < _broker_down_until:
                break
            try:
                _send(covered[0])
                sent += covered
            except Exception as error:
                _broker_down_until = time.monotonic() + BROKER_PAUSE
                log.warning("outbox message %s not sent (%s); the sweeper will send it", covered[0], error)
        if sent:
            OutboxMessage.objects.filter(pk__in=sent).update(dispatched_at=timezone.now())
    finally:
        connection.close()  # the sender thread holds no connection between sends


def wait_for_background_sends(timeout: float = 10.0) -> None:
    """Block until the sends queued so far have run (tests and benchmarks)."""
    _sender.submit(lambda: None).result(timeout)


# --- running a message (what the worker does) --------------------------------------------------------------


def _lease_free(now) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _claim(message_id: str) -> list[OutboxMessage]:
    """Take the message (and, for a batched kind, more of its kind) for this worker; [] when it is done or dead
    and, for a batched kind, no other message of its kind is free.

    The message's own task takes it even under another's lease: that is its redelivery after a worker died
    mid-task, and handlers are idempotent. The lease keeps the sweeper from sending a running message again,
    and batches from taking each other's messages. A task of a batched kind whose message an earlier batch has
    done still takes a batch: one task is sent for each BATCH messages committed together, and the batch that
    took its first message may not have taken all the others.
    """
    # A plain read first: a done message needs neither a lock nor a transaction to be seen (done and dead are
    # final until an editor retries).
    found = OutboxMessage.objects.filter(pk=message_id).values_list("status", "kind").first()
    if found is None:
        return []
    status, kind = found
    handler = HANDLERS.get(kind)
    batched = handler is not None and handler.batched
    if status != OutboxStatus.PENDING and not batched:
        return []
    now = timezone.now()
    with transaction.atomic():
        if status != OutboxStatus.PENDING:
            return _claim_batch(kind, now, BATCH, exclude=message_id)
        # Waits for a lock on its own row rather than skipping it: the only holders are short (the sender
        # marking it handed over, a sweeper or a batch claiming), and a task that skipped its message would
        # leave it for the sweeper, a minute later.
        message = OutboxMessage.objects.select_for_update(no_key=True).filter(pk=message_id).first()
        if message is None or message.status != OutboxStatus.PENDING:  # done by a batch meanwhile
            return _claim_batch(kind, now, BATCH, exclude=message_id) if batched else []
        message.deliveries += 1
        if message.deliveries > MAX_DELIVERIES:
            message.save(update_fields=["deliveries"])
            _dead_after_starts([message.pk], kind)
            return []
        message.claimed_until = now + LEASE
        message.save(update_fields=["deliveries", "claimed_until"])
        claimed = [message]
        if batched:
            # BATCH others besides its own: one task is sent for each BATCH messages handed over together, and
            # its own may be one another batch holds already (run again after a worker died, or a duplicate).
            claimed += _claim_batch(kind, now, BATCH, exclude=message.pk)
        return claimed


def _claim_batch(kind: str, now, limit: int, exclude) -> list[OutboxMessage]:
    """Lease up to `limit` pending messages of `kind` that no one holds, oldest first (in a transaction).

    Taken in a batch is a start too: a message that takes its worker down is dead after MAX_DELIVERIES
    starts however it was taken (most messages of a batched kind are taken by another message's task).
    """
    others = list(
        OutboxMessage.objects.select_for_update(no_key=True, skip_locked=True)
        .filter(_lease_free(now), kind=kind, status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .exclude(pk=exclude)
        .order_by("created_at")[:limit]
    )
    worn_out = [m.pk for m in others if m.deliveries >= MAX_DELIVERIES]
    if worn_out:
        _dead_after_starts(worn_out, kind)
        others = [m for m in others if m.pk not in worn_out]
    if others:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in others]).update(
            claimed_until=now + LEASE, deliveries=F("deliveries") + 1
        )
    return others


def _dead_after_starts(ids: list, kind: str) -> None:
    OutboxMessage.objects.filter(pk__in=ids).update(
        status=OutboxStatus.DEAD,
        last_error=f"Started {MAX_DELIVERIES} times without finishing: it may take its worker down.",
    )
    log.error("outbox messages %s (%s) are dead: started %d times without finishing", ids, kind, MAX_DELIVERIES)


def run_message(message_id) -> str:
    """Do one message's work (and its batch's) with its registered handler; safe to run twice."""
    claimed = _claim(str(message_id))
    if not claimed:
        return "skipped"
    kind = claimed[0].kind
    handler = HANDLERS.get(kind)
    if handler is None:
        _release(claimed, ValueError(f"Unknown outbox message kind {kind!r}"))
        raise ValueError(f"Unknown outbox message kind {kind!r}")
    try:
        handler.run([m.payload for m in claimed])
    except Exception as error:
        if len(claimed) == 1 or isinstance(error, DatabaseError):
            _release(claimed, error)
            raise
        # One message of the batch may be at fault: each on its own, so the others are not held back with it.
        failed = []
        for message in claimed:
            try:
                handler.run([message.payload])
            except Exception as own_error:
                failed.append((message, own_error))
            else:
                _done([message])
        for message, own_error in failed:
            _release([message], own_error)
        if failed:
            raise failed[0][1] from None
        return kind
    _done(claimed)
    return kind


def _done(messages: list[OutboxMessage]) -> None:
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        status=OutboxStatus.DONE, done_at=timezone.now(), claimed_until=None, last_error=""
    )


def _release(messages: list[OutboxMessage], error: BaseException) -> None:
    """Released for a later try (the task's own retry, or the sweeper after its backoff). A handler that raised
    did not take its worker down: that start is not counted toward MAX_DELIVERIES (the sweeper's attempts and
    backoff govern it). With the database connection gone (the failure itself) the release fails too: the
    lease then runs out instead."""
    with contextlib.suppress(DatabaseError):
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            claimed_until=None,
            deliveries=F("deliveries") - 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=timezone.now() + _backoff(messages[0].attempts + 1),
        )


# --- the sweeper -------------------------------------------------------------------------------------------


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(300, 2**attempts))


def stale_after() -> datetime.timedelta:
    """Handed over but not done after this long: lost on the way (a broker restart), send it again. Longer
    than a busy queue takes to reach a message (EDITORIAL_OUTBOX_STALE_SECONDS, 60 by default)."""
    return datetime.timedelta(seconds=settings.EDITORIAL_OUTBOX_STALE_SECONDS)


def relay_pending(limit: int = 200) -> int:
    """Send again (or, in-process, run again) the pending messages that were not done in time; return how many.

    Claimed under row locks (skip_locked on PostgreSQL), so sweepers running at once never take the same
    message; a message whose send keeps failing backs off, and is dead after MAX_ATTEMPTS.
    """
    now = timezone.now()
    due = Q(dispatched_at__isnull=True, created_at__lt=now - datetime.timedelta(seconds=5)) | Q(
        dispatched_at__lt=now - stale_after()
    )
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(no_key=True, skip_locked=True)
            .filter(due, _lease_free(now), status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("created_at")[:limit]
        )
        dead = [m.pk for m in messages if m.attempts >= MAX_ATTEMPTS]
        ids = [str(m.pk) for m in messages if m.pk not in dead]
        if dead:
            OutboxMessage.objects.filter(pk__in=dead).update(status=OutboxStatus.DEAD)
            log.error("outbox messages dead after %d attempts: %s", MAX_ATTEMPTS, dead)
        OutboxMessage.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, dispatched_at=now)
    relayed = 0
    for position, message_id in enumerate(ids):
        try:
            if _eager():
                run_message(message_id)
            else:
                _send(message_id)
                broker_back()
            relayed += 1
        except Exception as error:
            log.warning("outbox message %s not relayed (%s); retrying later", message_id, error)
            message = OutboxMessage.objects.get(pk=message_id)
            OutboxMessage.objects.filter(pk=message_id).update(
                last_error=f"{type(error).__name__}: {error}"[:2000],
                next_attempt_at=timezone.now() + _backoff(message.attempts),
                dispatched_at=None,
            )
            if not _eager():
                # The broker is down: the rest wait for the next sweep, their attempt not counted.
                untried = ids[position + 1 :]
                OutboxMessage.objects.filter(pk__in=untried).update(attempts=F("attempts") - 1, dispatched_at=None)
                break
    return relayed
