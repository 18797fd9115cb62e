"""Work that failed for good, started again by an editor: a dead outbox message (a publication or a batch of
notifications that failed every attempt, or took its worker down), and an email that every attempt failed."""

from __future__ import annotations

from django.utils import timezone

from articles.models import PublishRequest
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import NotFound, StateConflict
from editorial.models import Notification, OutboxMessage, OutboxStatus
from editorial.notifications import MAX_EMAIL_ATTEMPTS
from editorial.outbox import hand_over_after_commit

from .common import service_transaction


@service_transaction
def retry_dead_message(message_id, *, actor) -> OutboxMessage:
    """Give a dead message a fresh set of attempts and hand it over again after the commit (audited)."""
    permissions.require_can_retry_stuck_work(actor)
    message = OutboxMessage.objects.select_for_update(no_key=True).filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such work.")
    if message.status != OutboxStatus.DEAD:
        raise StateConflict(f"This work is {message.get_status_display().lower()}, not stuck.", "not_stuck")
    before = {
        "status": message.status,
        "attempts": message.attempts,
        "deliveries": message.deliveries,
        "last_error": message.last_error,
    }
    message.status = OutboxStatus.PENDING
    message.attempts = message.deliveries = 0
    message.next_attempt_at = timezone.now()
    message.dispatched_at = message.claimed_until = None
    message.save(
        update_fields=["status", "attempts", "deliveries", "next_attempt_at", "dispatched_at", "claimed_until"]
    )
    record_event(
        "outbox.retry",
        actor=actor,
        obj=message,
        article_id=_article_of(message),
        before=before,
        after={"status": message.status, "kind": message.kind, "dedupe_key": message.dedupe_key},
    )
    hand_over_after_commit(message.pk)
    return message


def _article_of(message: OutboxMessage) -> int | None:
    if "request_id" in message.payload:
        return (
            PublishRequest.objects.filter(pk=message.payload["request_id"]).values_list("article_id", flat=True).first()
        )
    return message.payload.get("article_id")


@service_transaction
def retry_email(notification_id: int, *, actor) -> Notification:
    """Let the sweeper try an email again whose every attempt failed (audited; sent within minutes)."""
    permissions.require_can_retry_stuck_work(actor)
    notification = Notification.objects.select_for_update(no_key=True).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("No such notification.")
    if notification.emailed_at is not None or notification.email_attempts < MAX_EMAIL_ATTEMPTS:
        raise StateConflict("This email is not stuck: it was sent, or it is still being tried.", "not_stuck")
    before = {"email_attempts": notification.email_attempts, "email_error": notification.email_error}
    notification.email_attempts = 0
    notification.save(update_fields=["email_attempts"])
    record_event(
        "notification.retry_email",
        actor=actor,
        obj=notification,
        article_id=notification.article_id,
        before=before,
        after={"email_attempts": 0, "recipient": notification.recipient.username},
    )
    return notification
