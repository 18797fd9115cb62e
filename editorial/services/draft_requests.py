"""A reader's follow-up question becomes work: an editor asks an author for a new answer (a draft request), the
author drafts it from the request, and when the answer is first published the reader who left an address is
told, once."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from articles.models import Article, PublishedVersion
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import InvalidInput, NotFound, StateConflict
from editorial.models import (
    DraftRequest,
    NotificationKind,
    ReaderReport,
    ReaderReportKind,
    ReaderReportStatus,
)
from editorial.notifications import notify, one_line
from editorial.outbox import enqueue, handles
from editorial.roles import AUTHORS

from .articles import create_article
from .common import refuse_line_breaks, service_transaction

log = logging.getLogger("editorial.draft_requests")

TITLE_CHARS = 200


def title_from_question(message: str) -> str:
    """A title proposed from the question: its words on one line, cut at a word near TITLE_CHARS."""
    words = one_line(message)
    if len(words) <= TITLE_CHARS:
        return words
    return words[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def authors():
    """Who may be asked for a draft: active users with the author role."""
    return get_user_model().objects.filter(groups__name=AUTHORS, is_active=True).order_by("username")


@service_transaction
def request_answer_draft(report: ReaderReport, *, actor, author_username: str, title: str = "") -> DraftRequest:
    """An editor turns an open follow-up question into a draft request for an author (audited; the author is
    told). The title defaults to the question's words."""
    permissions.require_can_triage(actor)
    report = ReaderReport.objects.select_for_update(no_key=True).select_related("article").get(pk=report.pk)
    title = (title or "").strip() or title_from_question(report.message)
    refuse_line_breaks("title", title)
    if len(title) > 500:
        raise InvalidInput("The title is too long.", errors={"title": ["At most 500 characters."]})
    author = authors().filter(username=(author_username or "").strip()).first()
    if author is None:
        raise InvalidInput("Choose an active author for the new answer.", errors={"author": ["Not an active author."]})
    if report.kind != ReaderReportKind.QUESTION:
        raise StateConflict("Only a follow-up question becomes a new answer; answer or close a problem report.")
    if report.status != ReaderReportStatus.OPEN:
        raise StateConflict(f"This report was already {report.get_status_display().lower()}.")
    draft_request = DraftRequest.objects.create(
        report=report, asked_on=report.article, title=title, author=author, requested_by=actor
    )
    report.status, report.handled_by, report.handled_at = ReaderReportStatus.DRAFT_REQUESTED, actor, timezone.now()
    report.response = f"A new answer was requested from {author.username}: {title}"
    report.save(update_fields=["status", "response", "handled_by", "handled_at"])
    event = record_event(
        "draft_request.create",
        actor=actor,
        obj=draft_request,
        article_id=report.article_id,
        after={"report": report.pk, "title": title, "author": author.username},
    )
    notify(
        NotificationKind.DRAFT_REQUEST,
        event=event,
        recipients=[author],
        article=report.article,
        subject=f"Please draft a new answer: {title}",
        body=f"A reader asked, on “{report.article.title}”:\n\n{report.message}",
    )
    return draft_request


def open_requests_for(user):
    """The draft requests an author has not started yet, oldest first."""
    return DraftRequest.objects.filter(author=user, article__isnull=True).select_related("asked_on__current_revision")


def get_open_request(user, request_id) -> DraftRequest:
    """The user's own draft request not started yet, or 404."""
    found = open_requests_for(user).filter(pk=request_id).select_related("report").first()
    if found is None:
        raise NotFound("No such draft request waiting for you.")
    return found


@service_transaction
def draft_answer(draft_request: DraftRequest, *, actor, title: str, body: str, references: list[dict], **fields):
    """The requested author starts the new answer: a draft article linked to the request (audited)."""
    draft_request = DraftRequest.objects.select_for_update(no_key=True).get(pk=draft_request.pk)
    permissions.require_can_draft_answer(draft_request, actor)
    if draft_request.article_id is not None:
        raise StateConflict("This answer was already started.", "already_started")
    article = create_article(actor=actor, title=title, body=body, references=references, **fields)
    draft_request.article = article
    draft_request.save(update_fields=["article"])
    record_event(
        "draft_request.start",
        actor=actor,
        obj=draft_request,
        article_id=article.pk,
        after={"article": article.pk, "asked_on": draft_request.asked_on_id, "report": draft_request.report_id},
    )
    return article


def tell_reader_when_published(version: PublishedVersion) -> None:
    """Inside the publishing transaction: the first publication of a requested answer queues the reader's
    email (once, whatever publications follow)."""
    waiting = DraftRequest.objects.filter(
        Q(report__email__gt=""), article_id=version.article_id, reader_told_at__isnull=True
    ).values_list("pk", flat=True)
    for request_id in waiting:
        enqueue("reader_answer", {"draft_request": request_id}, dedupe_key=f"reader-answer:{request_id}")


@handles("reader_answer")
def send_reader_answer(payload: dict) -> None:
    """Email the reader that the answer to their question is published; once (a repeat finds it told)."""
    draft_request = (
        DraftRequest.objects.select_related("report", "article__live_version", "asked_on__current_revision")
        .filter(pk=payload["draft_request"], reader_told_at__isnull=True)
        .first()
    )
    if draft_request is None or not draft_request.report.email:
        return
    article: Article = draft_request.article
    if article is None or article.live_version_id is None:
        return  # retracted meanwhile: nothing to point the reader to
    context = {
        "question": draft_request.report.message,
        "asked_on": draft_request.asked_on.title,
        "title": article.title,
        "url": f"{settings.EDITORIAL_SITE_URL}/articles/{article.slug}/",
    }
    message = EmailMultiAlternatives(
        subject=one_line(f"Your question was answered: {article.title}"),
        body=render_to_string("editorial/email/reader_answer.txt", context),
        to=[draft_request.report.email],
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    message.attach_alternative(render_to_string("editorial/email/reader_answer.html", context), "text/html")
    message.send()  # a failure raises: the outbox tries again later
    DraftRequest.objects.filter(pk=draft_request.pk).update(reader_told_at=timezone.now())
