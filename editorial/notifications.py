"""Notifications: who is told about what (queued through the outbox), and delivering them once."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from articles.models import Article
from reviewers.models import Assignment

from .models import REQUIRED_KINDS, AuditEvent, EmailMode, Notification, NotificationKind, NotificationPreference
from .outbox import enqueue, handles
from .roles import EDITORS

log = logging.getLogger("editorial.notifications")


def editors():
    return get_user_model().objects.filter(groups__name=EDITORS, is_active=True)


def notify(
    kind: str,
    *,
    event: AuditEvent | None = None,
    key: str | None = None,
    recipients,
    subject: str,
    body: str,
    article=None,
    exclude=None,
) -> None:
    """Queue a notification of an audited `event` (or of a unique `key`) to each recipient, never to `exclude`.

    Call inside the transaction of the change: the outbox row commits with it, or not at all.
    """
    ids = sorted({u.pk if hasattr(u, "pk") else u for u in recipients} - {getattr(exclude, "pk", None)})
    if not ids:
        return
    event_key = f"{kind}:{event.seq}" if event is not None else f"{kind}:{key}"
    enqueue(
        "notify",
        {
            "kind": kind,
            "event_key": event_key,
            "recipient_ids": ids,
            "subject": subject,
            "body": body,
            "article_id": getattr(article, "pk", None),
            "url": f"/api/v1/articles/{article.pk}/" if article is not None else "",
        },
        dedupe_key=f"notify:{event_key}",
    )


def email_mode(user_id: int, kind: str, preferences: dict) -> str:
    mode = preferences.get((user_id, kind), EmailMode.IMMEDIATE)
    if mode == EmailMode.OFF and kind in REQUIRED_KINDS:
        return EmailMode.IMMEDIATE  # a duty cannot be switched off
    return mode


@handles("notify")
def deliver(payload: dict) -> int:
    """Create the inbox entries and send immediate emails; safe to run twice. Returns emails sent."""
    kind, ids = payload["kind"], payload["recipient_ids"]
    preferences = {
        (p.user_id, p.kind): p.mode for p in NotificationPreference.objects.filter(user_id__in=ids, kind=kind)
    }
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids, is_active=True)}
    for user_id in ids:
        if user_id not in users:
            continue
        Notification.objects.get_or_create(
            event_key=payload["event_key"],
            recipient_id=user_id,
            defaults={
                "kind": kind,
                "article_id": payload.get("article_id"),
                "subject": payload["subject"][:300],
                "body": payload["body"],
                "url": payload.get("url", ""),
                "email_mode": email_mode(user_id, kind, preferences),
            },
        )
    sent = 0
    pending = Notification.objects.filter(
        event_key=payload["event_key"], email_mode=EmailMode.IMMEDIATE, emailed_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in pending:
        sent += send_notification_email(pk)
    return sent


def send_notification_email(notification_id: int) -> int:
    """Send one notification's email unless it was already sent; the row lock keeps two workers apart."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
        )
        if notification is None or notification.emailed_at is not None or not notification.recipient.email:
            return 0
        _send([notification], notification.recipient, notification.subject)
        # A crash between the send and this save can repeat one email; never more, never none.
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return 1


def _send(notifications: list[Notification], recipient, subject: str) -> None:
    context = {"notifications": notifications, "recipient": recipient, "site": settings.EDITORIAL_SITE_URL}
    message = EmailMultiAlternatives(
        subject=f"[Editorial] {subject}",
        body=render_to_string("editorial/email/notifications.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(render_to_string("editorial/email/notifications.html", context), "text/html")
    message.send()


def send_digests() -> int:
    """Email each user their waiting digest notifications in one message."""
    sent = 0
    waiting = Notification.objects.filter(email_mode=EmailMode.DIGEST, emailed_at__isnull=True)
    for recipient_id in waiting.values_list("recipient_id", flat=True).distinct():
        with transaction.atomic():
            batch = list(
                waiting.select_for_update().filter(recipient_id=recipient_id).select_related("recipient").order_by("id")
            )
            if not batch or not batch[0].recipient.email:
                continue
            _send(batch, batch[0].recipient, f"{len(batch)} updates")
            Notification.objects.filter(pk__in=[n.pk for n in batch]).update(emailed_at=timezone.now())
            sent += 1
    return sent


def author_and_editors(article) -> set[int]:
    """Who hears about an article's review: its author and every active editor."""
    return {article.created_by_id, *editors().values_list("pk", flat=True)}


def thread_participants(annotation) -> set[int]:
    ids = set(annotation.replies.values_list("author_id", flat=True))
    ids |= {annotation.created_by_id, annotation.article.created_by_id}
    return ids


def remind_overdue_assignments(today=None) -> int:
    """Remind each reviewer of each overdue assignment, once per day (the key holds the date)."""
    today = today or timezone.now().date()
    overdue = Assignment.objects.pending().filter(due__lt=today).select_related("article__current_revision", "reviewer")
    reminded = 0
    for assignment in overdue:
        article: Article = assignment.article
        with transaction.atomic():
            notify(
                NotificationKind.OVERDUE,
                key=f"{assignment.pk}:{today.isoformat()}",
                recipients=[assignment.reviewer],
                article=article,
                subject=f"Overdue review: {article.title}",
                body=f"Your review was due on {assignment.due:%Y-%m-%d}.",
            )
        reminded += 1
    return reminded
