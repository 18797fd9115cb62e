"""Annotations: anchoring, threads, resolution, accepting suggestions, and carrying them onto new revisions."""

from __future__ import annotations

from django.utils import timezone

from articles.models import ANNOTATABLE_STATES, EDITABLE_STATES, Article, ArticleState, RereviewReason, Revision
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import InvalidInput, StateConflict
from editorial.models import NotificationKind
from editorial.notifications import notify, thread_participants
from reviewers.anchoring import AnchorError, anchor_from_selectors
from reviewers.eligibility import Refusal
from reviewers.models import (
    AnchorMethod,
    Annotation,
    AnnotationAnchor,
    AnnotationKind,
    AnnotationReply,
    AnnotationStatus,
)

from .common import lock_article, service_transaction
from .revisions import RevisionContent, carry_anchors, make_new_revision
from .workflow import reopen_review


def _raise_declaration(refusal: Refusal | None) -> None:
    """A member with a declared conflict takes no part in the review (409, after the 400s)."""
    if refusal is not None:
        raise StateConflict(refusal.sentence, refusal.code)


def _snapshot(annotation: Annotation) -> dict:
    return {"kind": annotation.kind, "status": annotation.status, "blocking": annotation.blocking}


@service_transaction
def add_annotation(
    article: Article,
    *,
    actor,
    revision_number: int,
    kind: str,
    body: str,
    selectors: dict,
    suggestion: str = "",
    blocking: bool = False,
) -> Annotation:
    """Anchor a new annotation on the current revision; the quote must stand where the selectors say."""
    article = lock_article(article)
    conflict = permissions.require_can_annotate(article, actor)
    if kind == AnnotationKind.SUGGESTION and not suggestion:
        raise InvalidInput("A suggestion needs the proposed text.", errors={"suggestion": ["This field is required."]})
    revision = Revision.objects.filter(article=article, number=revision_number).first()
    if revision is None:
        raise InvalidInput(f"There is no revision {revision_number}.", errors={"revision": ["Unknown revision."]})
    try:
        anchor = anchor_from_selectors(revision.text, **selectors)
    except AnchorError as error:
        raise InvalidInput(str(error), "quote_not_found", errors={"target": [str(error)]}) from error
    if article.state not in ANNOTATABLE_STATES:
        raise StateConflict(f"An article that is {article.get_state_display().lower()} cannot be annotated.")
    _raise_declaration(conflict)
    if revision.pk != article.current_revision_id:
        raise StateConflict(
            f"Revision {revision.number} is not current; annotate revision {article.current_revision.number}.",
            "stale_revision",
        )
    annotation = Annotation.objects.create(
        article=article,
        created_on_revision=revision,
        kind=kind,
        body=body,
        suggestion=suggestion if kind == AnnotationKind.SUGGESTION else "",
        blocking=blocking or kind == AnnotationKind.SAFETY,
        created_by=actor,
        quote=anchor.exact,
    )
    AnnotationAnchor.for_anchor(annotation, revision, anchor, AnchorMethod.ORIGINAL).save()
    event = record_event(
        "annotation.create",
        actor=actor,
        obj=annotation,
        article_id=article.pk,
        after={
            **_snapshot(annotation),
            "revision": revision.number,
            "exact": anchor.exact,
            "start": anchor.start,
            "end": anchor.end,
            "body": body,
            "suggestion": annotation.suggestion,
        },
    )
    notify(
        NotificationKind.ANNOTATION,
        event=event,
        recipients=[article.created_by_id],
        article=article,
        exclude=actor,
        subject=f"New {annotation.get_kind_display().lower()} on {article.title}",
        body=body,
    )
    return annotation


def _lock_annotation(annotation: Annotation) -> tuple[Annotation, Article]:
    article = lock_article(annotation.article_id)
    return Annotation.objects.get(pk=annotation.pk), article


@service_transaction
def reply_to_annotation(annotation: Annotation, *, actor, body: str) -> AnnotationReply:
    annotation, article = _lock_annotation(annotation)
    conflict = permissions.require_can_reply(article, actor)
    if not body.strip():
        raise InvalidInput("The reply is empty.", errors={"body": ["This field may not be blank."]})
    _raise_declaration(conflict)
    reply = AnnotationReply.objects.create(annotation=annotation, author=actor, body=body)
    event = record_event(
        "annotation.reply",
        actor=actor,
        obj=reply,
        article_id=article.pk,
        after={"annotation": annotation.pk, "body": body},
    )
    notify(
        NotificationKind.ANNOTATION,
        event=event,
        recipients=thread_participants(annotation),
        article=article,
        exclude=actor,
        subject=f"Reply on {article.title}",
        body=body,
    )
    return reply


@service_transaction
def resolve_annotation(annotation: Annotation, *, actor, response: str = "") -> Annotation:
    """Resolve, optionally with a response that joins the thread."""
    annotation, article = _lock_annotation(annotation)
    permissions.require_can_resolve(annotation, article, actor, "resolve")
    if annotation.status == AnnotationStatus.RESOLVED:
        raise StateConflict("This annotation is already resolved.")
    before = _snapshot(annotation)
    if response.strip():
        AnnotationReply.objects.create(annotation=annotation, author=actor, body=response)
    annotation.status, annotation.resolved_by, annotation.resolved_at = AnnotationStatus.RESOLVED, actor, timezone.now()
    annotation.save(update_fields=["status", "resolved_by", "resolved_at"])
    event = record_event(
        "annotation.resolve",
        actor=actor,
        obj=annotation,
        article_id=article.pk,
        before=before,
        after=_snapshot(annotation),
        reason=response,
    )
    notify(
        NotificationKind.ANNOTATION,
        event=event,
        recipients=thread_participants(annotation),
        article=article,
        exclude=actor,
        subject=f"Resolved on {article.title}",
        body=response or "The annotation was resolved.",
    )
    return annotation


@service_transaction
def reopen_annotation(annotation: Annotation, *, actor, reason: str = "") -> Annotation:
    """Reopen; an annotation resolved on an earlier revision is carried onto the current one again.

    Reopening a blocking concern on an approved article puts the article back under review: the concern
    blocks approval again, so the approval cannot stand unexamined.
    """
    annotation, article = _lock_annotation(annotation)
    permissions.require_can_resolve(annotation, article, actor, "reopen")
    if annotation.status != AnnotationStatus.RESOLVED:
        raise StateConflict("This annotation is not resolved.")
    before = _snapshot(annotation)
    annotation.status, annotation.resolved_by, annotation.resolved_at = AnnotationStatus.OPEN, None, None
    annotation.save(update_fields=["status", "resolved_by", "resolved_at"])
    current = article.current_revision
    if not annotation.anchors.filter(revision=current).exists():
        last = annotation.anchors.select_related("revision").order_by("-revision__number").first()
        carry_anchors([last], current)
    record_event(
        "annotation.reopen",
        actor=actor,
        obj=annotation,
        article_id=article.pk,
        before=before,
        after=_snapshot(annotation),
        reason=reason,
    )
    if annotation.blocking and article.state == ArticleState.APPROVED:
        reopen_review(
            article,
            actor=actor,
            reason=RereviewReason.CONCERN,
            comment=f"Blocking annotation #{annotation.pk} was reopened: {reason}".rstrip(": "),
        )
    return annotation


def _replace_in_body(body: str, anchor: AnnotationAnchor, text_length: int, replacement: str, text: str = "") -> str:
    occurrences = []
    i = body.find(anchor.exact)
    while i != -1:
        occurrences.append(i)
        i = body.find(anchor.exact, i + 1)
    if not occurrences:
        raise StateConflict(
            "The suggested passage spans formatting in the Markdown body; apply it by editing the body.",
            "suggestion_not_applicable",
        )
    # Text positions and Markdown positions differ; the nearest occurrence by relative position wins.
    expected = anchor.start * len(body) / max(text_length, 1)
    at = min(occurrences, key=lambda pos: abs(pos - expected))
    # Unless the body has as many occurrences as the text: then the k-th in the text is the k-th in the body
    # (markup such as a long link URL would otherwise shift the estimate onto another occurrence).
    in_text = [i for i in range(len(text)) if text.startswith(anchor.exact, i)] if text else []
    if len(in_text) == len(occurrences) and anchor.start in in_text:
        at = occurrences[in_text.index(anchor.start)]
    return body[:at] + replacement + body[at + len(anchor.exact) :]


def suggestion_refusal(
    annotation: Annotation, anchor: AnnotationAnchor | None, article: Article
) -> StateConflict | None:
    """Why this suggestion cannot be accepted now (`anchor`: where it stands on the current revision), or None."""
    if annotation.kind != AnnotationKind.SUGGESTION:
        return StateConflict("Only suggestions can be accepted.", "not_a_suggestion")
    if annotation.status != AnnotationStatus.OPEN:
        return StateConflict("This suggestion is already resolved.")
    if article.state not in EDITABLE_STATES:
        return StateConflict(
            f"An article that is {article.get_state_display().lower()} cannot be edited; revise it first."
        )
    if anchor is None or anchor.revision_id != article.current_revision_id or anchor.orphaned:
        return StateConflict("The suggested passage is no longer in the current revision.", "suggestion_not_applicable")
    return None


@service_transaction
def accept_suggestion(annotation: Annotation, *, actor) -> Annotation:
    """The author or an editor accepts a suggestion: a new revision with the replacement applied."""
    annotation, article = _lock_annotation(annotation)
    permissions.require_can_accept_suggestion(article, actor)
    current = article.current_revision
    anchor = annotation.anchors.filter(revision=current).first()
    refusal = suggestion_refusal(annotation, anchor, article)
    if refusal is not None:
        raise refusal
    body = _replace_in_body(current.body, anchor, len(current.text), annotation.suggestion, current.text)
    before = _snapshot(annotation)
    # Resolved before the new revision is made, so it is not carried onto the text it changed.
    annotation.status, annotation.resolved_by, annotation.resolved_at = AnnotationStatus.RESOLVED, actor, timezone.now()
    annotation.save(update_fields=["status", "resolved_by", "resolved_at"])
    revision = make_new_revision(
        article,
        actor=actor,
        content=RevisionContent.of(current, body=body),
        change_summary=f"Accepted suggestion #{annotation.pk}",
        changed=["body"],
    )
    annotation.accepted_revision = revision
    annotation.save(update_fields=["accepted_revision"])
    record_event(
        "annotation.accept",
        actor=actor,
        obj=annotation,
        article_id=article.pk,
        before=before,
        after={**_snapshot(annotation), "revision": revision.number},
    )
    return annotation
