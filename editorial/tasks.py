"""Celery tasks: thin interfaces that fetch by id and call a service; all safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from knox.models import AuthToken

from . import checkpoints, notifications, outbox
from .services import publishing, workflow

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    # The database went away mid-task (a restart, a failover, a killed connection): try again shortly.
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "soft_time_limit": 120,
    "time_limit": 180,
}


@shared_task(name=outbox.DISPATCH_TASK, **TASK_OPTIONS)
def dispatch_outbox_message(message_id: str) -> str:
    return outbox.run_message(message_id)


@shared_task(name="editorial.relay_outbox", **TASK_OPTIONS)
def relay_outbox() -> int:
    return outbox.relay_pending()


@shared_task(name="editorial.queue_due_publications", **TASK_OPTIONS)
def queue_due_publications() -> int:
    return publishing.queue_due_publications()


@shared_task(name="editorial.remind_overdue_assignments", **TASK_OPTIONS)
def remind_overdue_assignments() -> int:
    return notifications.remind_overdue_assignments()


@shared_task(name="editorial.send_unsent_emails", **TASK_OPTIONS)
def send_unsent_emails() -> int:
    return notifications.send_unsent_emails()


@shared_task(name="editorial.send_digests", **TASK_OPTIONS)
def send_digests() -> int:
    return notifications.send_digests()


@shared_task(name="editorial.open_due_rereviews", **TASK_OPTIONS)
def open_due_rereviews() -> int:
    return workflow.open_due_rereviews()


@shared_task(name="editorial.audit_checkpoint", **TASK_OPTIONS)
def audit_checkpoint() -> int:
    checkpoint, _ = checkpoints.write_checkpoint()
    return checkpoint.seq


@shared_task(name="editorial.delete_expired_tokens", **TASK_OPTIONS)
def delete_expired_tokens() -> int:
    """Expired API tokens are refused when presented; this clears the ones never presented again."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
