"""Readers' problem reports and follow-up questions: taking them in (rate-limited) and triaging them."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, ArticleState, PublishedVersion
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import InvalidInput, StateConflict, TooManyAttempts
from editorial.models import NotificationKind, ReaderReport, ReaderReportStatus
from editorial.notifications import EVERY_EDITOR, notify

from .common import service_transaction
from .workflow import revise_article

REPORTS_PER_HOUR = 5
MAX_MESSAGE_CHARS = 5000


RATE_WINDOW_SECONDS = 3600


def _rate_key(client: str) -> str:
    return "editorial:reader-reports:" + hashlib.sha256(client.encode()).hexdigest()[:32]


@service_transaction
def submit_reader_report(
    version: PublishedVersion, *, kind: str, message: str, email: str = "", audience: str = "", client: str
) -> ReaderReport:
    """Take in a reader's report; anonymous, so limited per client (an IP address, hashed)."""
    if version.retracted_at is not None or version.article.live_version_id is None:
        raise StateConflict("This version is no longer published.", "not_published")
    message = message.strip()
    if not message:
        raise InvalidInput("Please write your message.", errors={"message": ["This field is required."]})
    if len(message) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"Please keep it under {MAX_MESSAGE_CHARS:,} characters.", errors={"message": ["Too long."]})
    key = _rate_key(client)
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    if cache.incr(key) > REPORTS_PER_HOUR:
        raise TooManyAttempts(
            "Too many messages from here; please try again in an hour.", "rate_limited", retry_after=RATE_WINDOW_SECONDS
        )
    report = ReaderReport.objects.create(
        article=version.article, version=version, kind=kind, message=message, email=email, audience=audience
    )
    event = record_event(
        f"reader_report.{kind}",
        actor=None,
        obj=report,
        article_id=version.article_id,
        after={"version": version.number, "kind": kind},
    )
    notify(
        NotificationKind.READER_REPORT,
        event=event,
        recipients=[EVERY_EDITOR],
        article=version.article,
        subject=f"{report.get_kind_display()}: {version.revision.title}",
        body=message[:1000],
    )
    return report


@service_transaction
def triage_reader_report(report: ReaderReport, *, actor, outcome: str, response: str = "") -> ReaderReport:
    """An editor answers, closes with a reason, or opens a revision (the article goes back to draft)."""
    report = ReaderReport.objects.select_for_update(no_key=True).get(pk=report.pk)
    permissions.require_can_triage(actor)
    if outcome not in (ReaderReportStatus.ANSWERED, ReaderReportStatus.CLOSED, ReaderReportStatus.REVISION_OPENED):
        raise InvalidInput("Unknown outcome.", errors={"outcome": ["Choose answered, closed or revision_opened."]})
    response = response.strip()
    if outcome != ReaderReportStatus.REVISION_OPENED and not response:
        raise InvalidInput("Write the answer or the reason.", errors={"response": ["This field is required."]})
    if report.status != ReaderReportStatus.OPEN:
        raise StateConflict(f"This report was already {report.get_status_display().lower()}.")
    if outcome == ReaderReportStatus.REVISION_OPENED:
        article = Article.objects.get(pk=report.article_id)
        permissions.require_can_edit(article, actor)
        if article.state != ArticleState.APPROVED:
            raise StateConflict(
                f"The article is {article.get_state_display().lower()}, not approved: it is already open to "
                "changes, so answer or close this report instead."
            )
        revise_article(article, actor=actor, comment=f"Reader report #{report.pk}: {report.message[:200]}")
    report.status, report.response, report.handled_by, report.handled_at = outcome, response, actor, timezone.now()
    report.save(update_fields=["status", "response", "handled_by", "handled_at"])
    record_event(
        "reader_report.triage",
        actor=actor,
        obj=report,
        article_id=report.article_id,
        before={"status": ReaderReportStatus.OPEN},
        after={"status": outcome},
        reason=response,
    )
    return report
