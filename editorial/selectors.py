"""Reads of the audit trail, and of the accounts editors look after."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, QuerySet, Sum
from django.utils import timezone

from reviewers.models import Assignment

from .models import AuditEvent, EmailMode, Notification, OutboxMessage, OutboxStatus, SigningAttempts
from .notifications import MAX_EMAIL_ATTEMPTS


def audit_events(*, article_id=None, actor_username=None, actions=None, since=None, until=None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("seq")
    if article_id is not None:
        events = events.filter(article_id=article_id)
    if actor_username:
        events = events.filter(actor__username=actor_username)
    if actions:
        events = events.filter(action__in=actions)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lte=until)
    return events


def sign_in_locks() -> list[dict]:
    """Usernames locked out now after repeated failed sign-ins: username, failures, when it ends."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since, username__isnull=False)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("username")
    )
    return [{**row, "until": row["last"] + settings.AXES_COOLOFF_TIME} for row in rows]


def signing_locks() -> QuerySet[SigningAttempts]:
    """Board members whose signing is locked now."""
    return SigningAttempts.objects.filter(locked_until__gt=timezone.now()).select_related("user__board_profile")


def assignments_of_people_who_left() -> QuerySet[Assignment]:
    """Reviews still owed by members whose account or board membership has ended: to assign to someone else."""
    return (
        Assignment.objects.pending()
        .filter(Q(reviewer__is_active=False) | Q(reviewer__board_profile__active=False))
        .select_related("article__current_revision", "reviewer__board_profile")
        .order_by("due", "id")
    )


STUCK_SHOWN = 100


def stuck_work() -> dict:
    """What failed for good and waits for an editor: dead outbox messages and emails every attempt failed
    (at most STUCK_SHOWN of each, oldest first, with the totals)."""
    dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD).order_by("created_at")
    emails = (
        Notification.objects.filter(
            email_mode=EmailMode.IMMEDIATE, emailed_at__isnull=True, email_attempts__gte=MAX_EMAIL_ATTEMPTS
        )
        .select_related("recipient")
        .order_by("created_at")
    )
    messages, shown_emails = list(dead[:STUCK_SHOWN]), list(emails[:STUCK_SHOWN])
    return {
        "messages": messages,
        "message_count": dead.count() if len(messages) == STUCK_SHOWN else len(messages),
        "emails": shown_emails,
        "email_count": emails.count() if len(shown_emails) == STUCK_SHOWN else len(shown_emails),
    }
