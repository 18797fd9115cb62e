"""The transactional outbox: work is written with the change that causes it, and relayed after commit."""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from celery import current_app
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage, OutboxStatus

log = logging.getLogger("editorial.outbox")

MAX_ATTEMPTS = 12
# The Celery task that runs a message, by name: the outbox never imports the tasks module.
DISPATCH_TASK = "editorial.dispatch_outbox_message"

# Message kind -> the function that does its work, registered by the module that owns the work.
HANDLERS: dict[str, Callable[[dict], object]] = {}

_after_commit = threading.local()


def handles(kind: str) -> Callable:
    """Register the decorated function as the handler of outbox messages of `kind` (called with the payload)."""

    def register(function: Callable[[dict], object]) -> Callable[[dict], object]:
        if HANDLERS.get(kind, function) is not function:
            raise RuntimeError(f"Outbox message kind {kind!r} already has a handler")
        HANDLERS[kind] = function
        return function

    return register


def run_message(message_id) -> str:
    """Do one message's work with its registered handler (what the worker runs); safe to run twice."""
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        return "missing"
    handler = HANDLERS.get(message.kind)
    if handler is None:
        raise ValueError(f"Unknown outbox message kind {message.kind!r}")
    handler(message.payload)
    return message.kind


def enqueue(kind: str, payload: dict, *, dedupe_key: str) -> OutboxMessage:
    """Record work to dispatch; call inside the transaction of the change. Relayed once it commits."""
    message, _ = OutboxMessage.objects.get_or_create(dedupe_key=dedupe_key, defaults={"kind": kind, "payload": payload})
    if not hasattr(_after_commit, "ids"):
        _after_commit.ids = []
    _after_commit.ids.append(message.pk)
    # robust: a broker that is down must not turn a committed change into an error for the user.
    # The first callback to run relays everything this thread queued; the others find nothing left.
    transaction.on_commit(_relay_queued, robust=True)
    return message


def _relay_queued() -> None:
    ids, _after_commit.ids = getattr(_after_commit, "ids", []), []
    if ids:
        relay_pending(OutboxMessage.objects.filter(pk__in=ids), limit=len(ids))


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(300, 2**attempts))


def _publish(message: OutboxMessage) -> None:
    if current_app.conf.task_always_eager:
        # Embedded default: run in-process; the consumer is the same code the worker runs.
        run_message(message.pk)
    else:
        # The task id is the message id: a re-send after a lost acknowledgement is recognisable.
        current_app.send_task(
            DISPATCH_TASK,
            args=[str(message.pk)],
            task_id=str(message.pk),
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1},
        )


def relay_pending(messages=None, limit: int = 200) -> int:
    """Hand pending messages to the broker; return how many were handed over.

    Each message is claimed under a row lock (skip_locked on PostgreSQL), so relays running at the same
    time never hand over the same message twice. A failure reschedules the message with backoff; after
    MAX_ATTEMPTS it is marked dead and logged as an error rather than retried forever.
    """
    now = timezone.now()
    queryset = messages if messages is not None else OutboxMessage.objects.all()
    ids = list(
        queryset.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    relayed = 0
    for start in range(0, len(ids), 100):
        relayed += _relay_batch(ids[start : start + 100])
    return relayed


def _relay_batch(ids: list) -> int:
    relayed = 0
    with transaction.atomic():
        # Claimed under row locks: concurrent relays skip what another one holds.
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=OutboxStatus.PENDING)
            .order_by("created_at")
        )
        for message in messages:
            try:
                with transaction.atomic():  # an in-process failure rolls back its own work only
                    _publish(message)
            except Exception as error:
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboxStatus.DEAD
                    log.error(
                        "outbox message %s (%s) is dead after %d attempts: %s",
                        message.pk,
                        message.kind,
                        message.attempts,
                        message.last_error,
                    )
                else:
                    message.next_attempt_at = timezone.now() + _backoff(message.attempts)
                    log.warning("outbox message %s not relayed (%s); retrying", message.pk, message.last_error)
                message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                continue
            message.status, message.sent_at = OutboxStatus.SENT, timezone.now()
            message.attempts += 1
            message.save(update_fields=["status", "sent_at", "attempts"])
            relayed += 1
    return relayed
