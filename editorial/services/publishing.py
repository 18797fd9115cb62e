"""Publishing numbered versions (now or at a set time), retracting them, and periodic re-review."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from articles.models import (
    Article,
    ArticleState,
    PublicationPolicy,
    PublishedVersion,
    PublishRequest,
    PublishRequestStatus,
    Revision,
)
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import InvalidInput, StateConflict
from editorial.models import NotificationKind
from editorial.notifications import author_and_editors, notify
from editorial.outbox import enqueue, handles
from reviewers.models import RevisionApproval
from reviewers.selectors import approved_revision_ids

from .common import lock_article, require_reason, service_transaction
from .draft_requests import tell_reader_when_published

PUBLISHABLE_IMMEDIATE_STATES = (ArticleState.SUBMITTED, ArticleState.UNDER_REVIEW, ArticleState.APPROVED)


def is_approved(revision: Revision) -> bool:
    return revision.pk in approved_revision_ids([revision.pk])


def _approved_revision(article: Article) -> Revision | None:
    """The newest revision whose approval stands (the current one needs no read of its own)."""
    standing = approved_revision_ids(
        RevisionApproval.objects.filter(article=article).values_list("revision_id", flat=True)
    )
    if not standing:
        return None
    latest = max(standing)  # revisions are numbered in order: the highest id is the newest
    return article.current_revision if latest == article.current_revision_id else Revision.objects.get(pk=latest)


def _refusal(article: Article, revision: Revision, *, approved: bool | None = None) -> StateConflict | None:
    """Why this revision may not be published now, or None (`approved`: already known whether it is)."""
    if approved is None:
        approved = is_approved(revision)
    live = article.live_version
    if live is not None and live.revision_id == revision.pk:
        return StateConflict(f"Revision {revision.number} is already live as v{live.number}.", "already_live")
    if article.publication_policy == PublicationPolicy.AFTER_APPROVAL:
        if not approved:
            return StateConflict(
                f"Revision {revision.number} is not approved, and this article publishes only after approval.",
                "not_approved",
            )
    elif (
        revision.pk != article.current_revision_id or article.state not in PUBLISHABLE_IMMEDIATE_STATES
    ) and not approved:
        return StateConflict(
            "Only the submitted revision of an article under review, or an approved one, may be published.",
            "not_publishable",
        )
    return None


@service_transaction
def request_publication(
    article: Article, *, actor, revision_number: int | None = None, publish_at: datetime.datetime | None = None
) -> PublishRequest:
    """An editor asks for a version: queued now, or scheduled for `publish_at`."""
    article = lock_article(article)
    permissions.require_can_publish(actor)
    if revision_number is not None:
        revision = Revision.objects.filter(article=article, number=revision_number).first()
        if revision is None:
            raise InvalidInput(f"There is no revision {revision_number}.", errors={"revision": ["Unknown revision."]})
    approved = None
    if revision_number is None and article.publication_policy == PublicationPolicy.AFTER_APPROVAL:
        revision = _approved_revision(article)
        approved = revision is not None
        revision = revision or article.current_revision
    elif revision_number is None:
        revision = article.current_revision
    if publish_at is not None and publish_at <= timezone.now():
        raise InvalidInput("publish_at must be in the future.", errors={"publish_at": ["Must be in the future."]})
    refusal = _refusal(article, revision, approved=approved)
    if refusal:
        raise refusal
    if PublishRequest.objects.filter(
        article=article, revision=revision, status__in=[PublishRequestStatus.QUEUED, PublishRequestStatus.SCHEDULED]
    ).exists():
        raise StateConflict(f"Revision {revision.number} is already queued or scheduled.", "already_queued")
    request = PublishRequest.objects.create(
        article=article,
        revision=revision,
        requested_by=actor,
        publish_at=publish_at,
        status=PublishRequestStatus.SCHEDULED if publish_at else PublishRequestStatus.QUEUED,
    )
    record_event(
        "version.schedule" if publish_at else "version.request",
        actor=actor,
        obj=request,
        article_id=article.pk,
        after={"revision": revision.number, "publish_at": publish_at.isoformat() if publish_at else None},
    )
    if not publish_at:
        enqueue("publish", {"request_id": request.pk}, dedupe_key=f"publish:{request.pk}")
    return request


@service_transaction
def cancel_publication(request: PublishRequest, *, actor) -> PublishRequest:
    lock_article(request.article_id)
    request = PublishRequest.objects.select_for_update(no_key=True).get(pk=request.pk)
    permissions.require_can_publish(actor)
    if request.status not in (PublishRequestStatus.SCHEDULED, PublishRequestStatus.QUEUED):
        raise StateConflict(f"This publication is {request.get_status_display().lower()}; it cannot be cancelled.")
    before = request.status
    request.status = PublishRequestStatus.CANCELLED
    request.save(update_fields=["status"])
    record_event(
        "version.cancel",
        actor=actor,
        obj=request,
        article_id=request.article_id,
        before={"status": before},
        after={"status": "cancelled"},
    )
    return request


@service_transaction
def queue_due_publications(now: datetime.datetime | None = None) -> int:
    """Turn scheduled requests whose time has come into queued ones (beat runs this every few seconds)."""
    now = now or timezone.now()
    due = list(
        PublishRequest.objects.select_for_update(no_key=True, skip_locked=True).filter(
            status=PublishRequestStatus.SCHEDULED, publish_at__lte=now
        )
    )
    for request in due:
        request.status = PublishRequestStatus.QUEUED
        request.save(update_fields=["status"])
        record_event(
            "version.queue",
            actor=None,
            obj=request,
            article_id=request.article_id,
            before={"status": "scheduled"},
            after={"status": "queued"},
        )
        enqueue("publish", {"request_id": request.pk}, dedupe_key=f"publish:{request.pk}")
    return len(due)


@handles("publish")
def run_publication_message(payload: dict) -> None:
    run_publication(payload["request_id"])


@service_transaction
def run_publication(request_id: int) -> PublishedVersion | None:
    """Fulfil one request: the next version number, rendered HTML, announced. Running it twice is harmless."""
    request = PublishRequest.objects.get(pk=request_id)
    article = lock_article(request.article_id)  # serialises numbering per article
    request = (
        PublishRequest.objects.select_for_update(no_key=True)
        .select_related("revision", "requested_by")
        .get(pk=request_id)
    )
    if request.status == PublishRequestStatus.DONE:
        return request.version
    if request.status != PublishRequestStatus.QUEUED:
        return None  # cancelled, refused, or not yet due
    refusal = _refusal(article, request.revision)
    if refusal:
        request.status, request.outcome = PublishRequestStatus.REFUSED, refusal.detail
        request.save(update_fields=["status", "outcome"])
        record_event("version.refused", actor=None, obj=request, article_id=article.pk, reason=refusal.detail)
        return None
    number = (PublishedVersion.objects.filter(article=article).aggregate(n=Max("number"))["n"] or 0) + 1
    now = timezone.now()
    version = PublishedVersion.objects.create(
        article=article,
        number=number,
        revision=request.revision,
        request=request,
        published_by=request.requested_by,
        published_at=now,
        html=request.revision.rendered.html,
    )
    previous = article.live_version_id
    article.live_version = version
    article.save(update_fields=["live_version", "updated_at"])
    request.status = PublishRequestStatus.DONE
    request.save(update_fields=["status"])
    tell_reader_when_published(version)
    event = record_event(
        "version.publish",
        actor=request.requested_by,
        obj=version,
        article_id=article.pk,
        before={"live_version": previous and PublishedVersion.objects.get(pk=previous).number},
        after={
            "live_version": number,
            "revision": request.revision.number,
            "content_hash": request.revision.content_hash,
            "approved": is_approved(request.revision),
        },
    )
    recipients = author_and_editors(article)
    notify(
        NotificationKind.PUBLISHED,
        event=event,
        recipients=recipients,
        article=article,
        subject=f"Published: {request.revision.title} (v{number})",
        body=f"Version {number} (revision {request.revision.number}) is live.",
    )
    return version


def _retract(article: Article, *, actor, reason: str) -> PublishedVersion:
    version = PublishedVersion.objects.select_for_update(no_key=True).get(pk=article.live_version_id)
    version.retracted_at, version.retracted_by, version.retraction_reason = timezone.now(), actor, reason
    version.save(update_fields=["retracted_at", "retracted_by", "retraction_reason"])
    article.live_version = None
    article.save(update_fields=["live_version", "updated_at"])
    event = record_event(
        "version.retract",
        actor=actor,
        obj=version,
        article_id=article.pk,
        before={"live_version": version.number},
        after={"live_version": None},
        reason=reason,
    )
    recipients = author_and_editors(article)
    notify(
        NotificationKind.RETRACTED,
        event=event,
        recipients=recipients,
        article=article,
        exclude=actor,
        subject=f"Retracted: v{version.number} of {article.title}",
        body=f"Reason: {reason}",
    )
    return version


@service_transaction
def retract_live_version(article: Article, *, actor, reason: str) -> PublishedVersion:
    article = lock_article(article)
    permissions.require_can_publish(actor)
    reason = require_reason(reason, "retract a version", field="reason")
    if article.live_version_id is None:
        raise StateConflict("Nothing is live.", "nothing_live")
    return _retract(article, actor=actor, reason=reason)


def stop_publishing(article: Article, *, reason: str) -> None:
    """After a rejection or withdrawal (the caller holds the article's lock): every publication still to come
    is cancelled, and a live version that was never approved comes down. System actions, each audited."""
    pending = PublishRequest.objects.select_for_update(no_key=True).filter(
        article=article, status__in=[PublishRequestStatus.SCHEDULED, PublishRequestStatus.QUEUED]
    )
    for request in pending:
        before = request.status
        request.status, request.outcome = PublishRequestStatus.CANCELLED, reason
        request.save(update_fields=["status", "outcome"])
        record_event(
            "version.cancel",
            actor=None,
            obj=request,
            article_id=article.pk,
            before={"status": before},
            after={"status": "cancelled"},
            reason=reason,
        )
    if article.live_version_id is None:
        return
    version = PublishedVersion.objects.select_related("revision").get(pk=article.live_version_id)
    if not is_approved(version.revision):
        _retract(article, actor=None, reason=reason)


def review_interval(article: Article) -> datetime.timedelta:
    return datetime.timedelta(days=article.review_interval_days or settings.EDITORIAL_REVIEW_INTERVAL_DAYS)
