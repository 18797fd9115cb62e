"""Notifications: who is told about what (queued through the outbox), and delivering them once."""

from __future__ import annotations

import contextlib
import datetime
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, transaction
from django.db.models import F, Q
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


# In a notification's recipients: every active editor, resolved when it is delivered (one read per batch in the
# worker, none in the request that caused it).
EVERY_EDITOR = "every-editor"


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
    """Queue a notification of an audited `event` (or of a unique `key`) to each recipient (users, user ids, or
    EVERY_EDITOR), never to `exclude`.

    Call inside the transaction of the change: the outbox row commits with it, or not at all.
    """
    recipients = list(recipients)
    to_editors = EVERY_EDITOR in recipients
    excluded = getattr(exclude, "pk", exclude)
    ids = sorted({u.pk if hasattr(u, "pk") else u for u in recipients if u != EVERY_EDITOR} - {excluded})
    if not ids and not to_editors:
        return
    event_key = f"{kind}:{event.seq}" if event is not None else f"{kind}:{key}"
    enqueue(
        "notify",
        {
            "kind": kind,
            "event_key": event_key,
            "recipient_ids": ids,
            "to_editors": to_editors,
            "exclude_id": excluded,
            "subject": subject,
            "body": body,
            "article_id": getattr(article, "pk", None),
            "url": f"/api/v1/articles/{article.pk}/" if article is not None else "",
        },
        dedupe_key=f"notify:{event_key}",
    )


def _recipients(payloads: list[dict]) -> dict[str, list[int]]:
    """Each payload's recipients (by event key), every editor resolved once for the batch."""
    editor_ids = []
    if any(payload.get("to_editors") for payload in payloads):
        editor_ids = list(editors().values_list("pk", flat=True))
    return {
        payload["event_key"]: sorted(
            {*payload["recipient_ids"], *(editor_ids if payload.get("to_editors") else [])}
            - {payload.get("exclude_id")}
        )
        for payload in payloads
    }


def email_mode(user_id: int, kind: str, preferences: dict) -> str:
    mode = preferences.get((user_id, kind), EmailMode.IMMEDIATE)
    if mode == EmailMode.OFF and kind in REQUIRED_KINDS:
        return EmailMode.IMMEDIATE  # a duty cannot be switched off
    return mode


@handles("notify", batched=True)
def deliver(payloads: list[dict]) -> int:
    """Inbox entries for a batch of notify messages, then their immediate emails; safe to run twice.

    The inbox rows of the whole batch are written in one short transaction (the unique key makes a repeat
    harmless); the emails are sent after it, outside any transaction, over one connection. Returns emails sent.
    """
    recipients = _recipients(payloads)
    recipient_ids = {user_id for ids in recipients.values() for user_id in ids}
    kinds = {payload["kind"] for payload in payloads}
    preferences = {
        (p.user_id, p.kind): p.mode
        for p in NotificationPreference.objects.filter(user_id__in=recipient_ids, kind__in=kinds)
    }
    active = set(get_user_model().objects.filter(pk__in=recipient_ids, is_active=True).values_list("pk", flat=True))
    rows = [
        Notification(
            event_key=payload["event_key"],
            recipient_id=user_id,
            kind=payload["kind"],
            article_id=payload.get("article_id"),
            subject=one_line(payload["subject"])[:300],
            body=payload["body"],
            url=payload.get("url", ""),
            email_mode=email_mode(user_id, payload["kind"], preferences),
        )
        for payload in payloads
        for user_id in recipients[payload["event_key"]]
        if user_id in active
    ]
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return send_emails(
        Notification.objects.filter(
            event_key__in=[payload["event_key"] for payload in payloads],
            email_mode=EmailMode.IMMEDIATE,
            emailed_at__isnull=True,
        )
    )


# Emails sent between two "sent" marks: a worker that dies mid-batch sends at most so many again (after their
# lease runs out); the rest of its claim is either marked sent or sent by the next worker, once.
MARK_SENT_EVERY = 10


def send_emails(notifications, limit: int | None = None) -> int:
    """Email each notification of the queryset not yet emailed, one message each, over one connection, holding
    no database lock while sending.

    The emails are claimed together first (one short transaction: rows locked with skip_locked, then a lease
    of twice one email's), so of two workers reaching the same notification one sends it. Sent emails are
    marked every MARK_SENT_EVERY, and the last ones before the connection is closed: a crash can repeat that
    many, never more. No email is started that could end after the lease; what is left is released, untried,
    for the next run, as it is when the task is stopped (its time limit) or the mail server cannot be
    reached. A refused recipient is recorded and the others are still sent.
    """
    claimed = _claim_emails(notifications, limit)
    if not claimed:
        return 0
    # The claim's lease is twice one email's: start none that could end after it, with room for the last mark.
    stop_starting_at = time.monotonic() + email_lease().total_seconds() - settings.EMAIL_TIMEOUT
    sent, unmarked, untried_from = 0, [], 0
    try:
        with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
            for position, notification in enumerate(claimed):
                untried_from = position
                if time.monotonic() > stop_starting_at:  # a slow server: leave the rest to the next run
                    break
                try:
                    _message([notification], notification.recipient, notification.subject, connection).send()
                except SoftTimeLimitExceeded:
                    untried_from = position + 1  # this one may have gone: its lease runs out instead
                    raise
                except Exception as error:  # one recipient's failure must not stop (or repeat) the others
                    log.warning("email for notification %s not sent: %s", notification.pk, error)
                    Notification.objects.filter(pk=notification.pk).update(
                        email_error=f"{type(error).__name__}: {error}"[:1000], email_claimed_until=None
                    )
                    connection.close()  # a dropped or timed-out connection is reopened for the next one
                    continue
                unmarked.append(notification.pk)
                sent += 1
                if len(unmarked) >= MARK_SENT_EVERY:
                    _mark_sent(unmarked)
                    unmarked = []
            else:
                untried_from = len(claimed)
            _mark_sent(unmarked)  # before the connection's QUIT, which may itself take EMAIL_TIMEOUT
            unmarked = []
    finally:
        with contextlib.suppress(DatabaseError):  # the database gone: the marks' and the leases' own way out
            _mark_sent(unmarked)
            _release_untried(claimed[untried_from:])
    return sent


def _release_untried(notifications: list[Notification]) -> None:
    if notifications:
        Notification.objects.filter(pk__in=[n.pk for n in notifications], emailed_at__isnull=True).update(
            email_claimed_until=None, email_attempts=F("email_attempts") - 1
        )


def _claim_emails(notifications, limit: int | None) -> list[Notification]:
    """Lease the queryset's unsent emails that have an address and no live lease to this worker, in one short
    transaction; rows another worker is claiming at the same moment are skipped, not waited for."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            notifications.filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
            .filter(emailed_at__isnull=True)
            .exclude(recipient__email="")
            .select_related("recipient")
            .select_for_update(of=("self",), no_key=True, skip_locked=True)
            .order_by("id")[:limit]
        )
        if claimed:
            Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
                email_attempts=F("email_attempts") + 1, email_claimed_until=now + 2 * email_lease()
            )
    return claimed


def _mark_sent(ids: list[int]) -> None:
    if ids:
        Notification.objects.filter(pk__in=ids).update(
            emailed_at=timezone.now(), email_error="", email_claimed_until=None
        )


def email_lease() -> datetime.timedelta:
    """Longer than sending one email can take: EMAIL_TIMEOUT bounds each step of the SMTP conversation."""
    return datetime.timedelta(seconds=10 * settings.EMAIL_TIMEOUT)


MAX_EMAIL_ATTEMPTS = 8
UNSENT_AFTER = datetime.timedelta(minutes=5)


def send_unsent_emails() -> int:
    """The sweeper for emails that did not go (a refusing or hanging mail server): beat runs it every few
    minutes; a notification is tried MAX_EMAIL_ATTEMPTS times at most."""
    return send_emails(
        Notification.objects.filter(
            email_mode=EmailMode.IMMEDIATE,
            emailed_at__isnull=True,
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            created_at__lt=timezone.now() - UNSENT_AFTER,
        ),
        limit=500,
    )


def one_line(text: str) -> str:
    """A value that goes into an email header: its line breaks would make the header invalid."""
    return " ".join(text.split())


def _message(notifications: list[Notification], recipient, subject: str, connection=None) -> EmailMultiAlternatives:
    context = {"notifications": notifications, "recipient": recipient, "site": settings.EDITORIAL_SITE_URL}
    message = EmailMultiAlternatives(
        subject=one_line(f"[Editorial] {subject}"),
        body=render_to_string("editorial/email/notifications.txt", context),
        to=[recipient.email],
        connection=connection,
    )
    message.attach_alternative(render_to_string("editorial/email/notifications.html", context), "text/html")
    return message


def send_digests() -> int:
    """Email each user their waiting digest notifications in one message, holding no lock while sending."""
    sent = 0
    waiting = Notification.objects.filter(email_mode=EmailMode.DIGEST, emailed_at__isnull=True)
    with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
        for recipient_id in waiting.values_list("recipient_id", flat=True).distinct():
            batch = list(waiting.filter(recipient_id=recipient_id).select_related("recipient").order_by("id"))
            if not batch or not batch[0].recipient.email:
                continue
            try:
                _message(batch, batch[0].recipient, f"{len(batch)} updates", connection).send()
            except Exception as error:
                log.warning("digest for user %s not sent: %s", recipient_id, error)
                continue
            Notification.objects.filter(pk__in=[n.pk for n in batch]).update(emailed_at=timezone.now())
            sent += 1
    return sent


def author_and_editors(article) -> set:
    """Who hears about an article's review: its author and every active editor."""
    return {article.created_by_id, EVERY_EDITOR}


def thread_participants(annotation) -> set[int]:
    ids = set(annotation.replies.values_list("author_id", flat=True))
    ids |= {annotation.created_by_id, annotation.article.created_by_id}
    ids.discard(None)  # an automated check has no creator
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
