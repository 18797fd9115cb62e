"""Celery tasks: thin interfaces that fetch by id and call a service; all safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .models import OutboxMessage

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "soft_time_limit": 120,
    "time_limit": 180,
}


@shared_task(name="editorial.dispatch_outbox_message", **TASK_OPTIONS)
def dispatch_outbox_message(message_id: str) -> str:
    from .notifications import deliver
    from .services.publishing import run_publication

    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        return "missing"
    if message.kind == "notify":
        deliver(message.payload)
    elif message.kind == "publish":
        run_publication(message.payload["request_id"])
    else:
        raise ValueError(f"Unknown outbox message kind {message.kind!r}")
    return message.kind


@shared_task(name="editorial.relay_outbox", **TASK_OPTIONS)
def relay_outbox() -> int:
    from .outbox import relay_pending

    return relay_pending()


@shared_task(name="editorial.queue_due_publications", **TASK_OPTIONS)
def queue_due_publications() -> int:
    from .services.publishing import queue_due_publications as queue_due

    return queue_due()


@shared_task(name="editorial.remind_overdue_assignments", **TASK_OPTIONS)
def remind_overdue_assignments() -> int:
    from .notifications import remind_overdue_assignments as remind

    return remind()


@shared_task(name="editorial.send_digests", **TASK_OPTIONS)
def send_digests() -> int:
    from .notifications import send_digests as send

    return send()


@shared_task(name="editorial.open_due_rereviews", **TASK_OPTIONS)
def open_due_rereviews() -> int:
    from .services.workflow import open_due_rereviews as open_due

    return open_due()
