"""Annotations: anchoring, threads, resolution, accepting suggestions, and carrying them onto new revisions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from articles.models import EDITABLE_STATES, Article, ArticleState, Revision
from editorial.audit import record_event
from editorial.exceptions import Forbidden, InvalidInput, StateConflict
from editorial.models import NotificationKind
from editorial.notifications import notify, thread_participants
from reviewers.anchoring import Anchor, AnchorError, Reanchorer, anchor_from_selectors
from reviewers.models import (
    AnchorMethod,
    Annotation,
    AnnotationAnchor,
    AnnotationKind,
    AnnotationReply,
    AnnotationStatus,
    Assignment,
)
from reviewers.selectors import board_profile

from .common import lock_article

ANNOTATABLE_STATES = (ArticleState.SUBMITTED, ArticleState.UNDER_REVIEW, ArticleState.CHANGES_REQUESTED)


def _is_editor(actor) -> bool:
    return actor.has_perm("articles.edit_any_article")


def _is_assigned(article: Article, actor) -> bool:
    return Assignment.objects.filter(article=article, reviewer=actor).exclude(
        status="declined"
    ).exists() and actor.has_perm("articles.decide_article")


def check_may_annotate(article: Article, actor) -> None:
    """The 403s of annotating (the API checks them before it reads the body)."""
    if _is_editor(actor):
        return
    if actor.has_perm("articles.decide_article") and article.created_by_id != actor.pk:
        if not _is_assigned(article, actor):
            raise Forbidden("You are not assigned to review this article.", "not_assigned")
        profile = board_profile(actor)
        if profile is None or not profile.credentials_valid():
            raise Forbidden("Your credentials have expired; renew them before you review.", "credentials_expired")
        return
    raise Forbidden("Only assigned board members and editors can annotate.")


def check_may_reply(article: Article, actor) -> None:
    if _is_editor(actor) or article.created_by_id == actor.pk:
        return
    if actor.has_perm("articles.decide_article"):
        if not _is_assigned(article, actor):
            raise Forbidden("You are not assigned to review this article.", "not_assigned")
        return
    raise Forbidden("Only the article's author, its assigned board members and editors can reply.")


def check_may_resolve(annotation: Annotation, article: Article, actor, verb: str) -> None:
    if annotation.created_by_id == actor.pk or article.created_by_id == actor.pk or _is_editor(actor):
        return
    raise Forbidden(f"Only the annotation's author, the article's author or an editor can {verb} it.")


def _anchor_row(
    annotation: Annotation,
    revision: Revision,
    anchor: Anchor,
    method: str,
    distance: int = 0,
    positions_revision: Revision | None = None,
) -> AnnotationAnchor:
    return AnnotationAnchor(
        annotation=annotation,
        revision=revision,
        exact=anchor.exact,
        prefix=anchor.prefix,
        suffix=anchor.suffix,
        start=anchor.start,
        end=anchor.end,
        method=method,
        distance=distance,
        positions_revision=positions_revision or revision,
    )


def _snapshot(annotation: Annotation) -> dict:
    return {"kind": annotation.kind, "status": annotation.status, "blocking": annotation.blocking}


@transaction.atomic
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
    check_may_annotate(article, actor)
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
    _anchor_row(annotation, revision, anchor, AnchorMethod.ORIGINAL).save()
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


@transaction.atomic
def reply_to_annotation(annotation: Annotation, *, actor, body: str) -> AnnotationReply:
    annotation, article = _lock_annotation(annotation)
    check_may_reply(article, actor)
    if not body.strip():
        raise InvalidInput("The reply is empty.", errors={"body": ["This field may not be blank."]})
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


@transaction.atomic
def resolve_annotation(annotation: Annotation, *, actor, response: str = "") -> Annotation:
    """Resolve, optionally with a response that joins the thread."""
    annotation, article = _lock_annotation(annotation)
    check_may_resolve(annotation, article, actor, "resolve")
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


@transaction.atomic
def reopen_annotation(annotation: Annotation, *, actor, reason: str = "") -> Annotation:
    """Reopen; an annotation resolved on an earlier revision is carried onto the current one again."""
    annotation, article = _lock_annotation(annotation)
    check_may_resolve(annotation, article, actor, "reopen")
    if annotation.status != AnnotationStatus.RESOLVED:
        raise StateConflict("This annotation is not resolved.")
    before = _snapshot(annotation)
    annotation.status, annotation.resolved_by, annotation.resolved_at = AnnotationStatus.OPEN, None, None
    annotation.save(update_fields=["status", "resolved_by", "resolved_at"])
    current = article.current_revision
    if not annotation.anchors.filter(revision=current).exists():
        last = annotation.anchors.select_related("revision").order_by("-revision__number").first()
        _carry([last], current)
    record_event(
        "annotation.reopen",
        actor=actor,
        obj=annotation,
        article_id=article.pk,
        before=before,
        after=_snapshot(annotation),
        reason=reason,
    )
    return annotation


def _carry(anchors: list[AnnotationAnchor], new_revision: Revision) -> dict[str, list[int]]:
    """Place each anchor onto the new revision; orphans stay orphaned with the selectors they last had."""
    outcome: dict[str, list[int]] = {"exact": [], "fuzzy": [], "orphaned": []}
    rows = []
    reanchorers: dict[int, Reanchorer] = {}  # per source revision; usually there is one
    for old in anchors:
        stored = Anchor(old.start, old.end, old.exact, old.prefix, old.suffix)
        if old.orphaned:
            rows.append(
                _anchor_row(
                    old.annotation,
                    new_revision,
                    stored,
                    AnchorMethod.ORPHANED,
                    positions_revision=old.positions_revision,
                )
            )
            outcome["orphaned"].append(old.annotation_id)
            continue
        if old.revision_id not in reanchorers:
            reanchorers[old.revision_id] = Reanchorer(old.revision.text, new_revision.text)
        placement = reanchorers[old.revision_id].place(stored, original=old.annotation.quote or None)
        if placement.anchor is None:
            rows.append(
                _anchor_row(
                    old.annotation, new_revision, stored, AnchorMethod.ORPHANED, positions_revision=old.revision
                )
            )
        else:
            rows.append(
                _anchor_row(old.annotation, new_revision, placement.anchor, placement.method, placement.distance)
            )
        outcome[placement.method].append(old.annotation_id)
    AnnotationAnchor.objects.bulk_create(rows)
    return outcome


def carry_open_annotations(article: Article, old_revision: Revision, new_revision: Revision, *, actor) -> None:
    """Carry every open annotation of the old revision onto the new one (inside the edit's transaction)."""
    anchors = list(
        AnnotationAnchor.objects.filter(revision=old_revision, annotation__status=AnnotationStatus.OPEN)
        .select_related("annotation", "revision")
        .order_by("annotation_id")
    )
    if not anchors:
        return
    outcome = _carry(anchors, new_revision)
    record_event(
        "annotation.reanchor",
        actor=actor,
        obj=new_revision,
        article_id=article.pk,
        before={"revision": old_revision.number},
        after={"revision": new_revision.number, **outcome},
    )


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


@transaction.atomic
def accept_suggestion(annotation: Annotation, *, actor) -> Annotation:
    """The author or an editor accepts a suggestion: a new revision with the replacement applied."""
    from .articles import make_new_revision

    annotation, article = _lock_annotation(annotation)
    if not (article.created_by_id == actor.pk or _is_editor(actor)):
        raise Forbidden("Only the article's author or an editor can accept a suggestion.")
    if annotation.kind != AnnotationKind.SUGGESTION:
        raise StateConflict("Only suggestions can be accepted.", "not_a_suggestion")
    if annotation.status != AnnotationStatus.OPEN:
        raise StateConflict("This suggestion is already resolved.")
    if article.state not in EDITABLE_STATES:
        raise StateConflict(
            f"An article that is {article.get_state_display().lower()} cannot be edited; revise it first."
        )
    current = article.current_revision
    anchor = annotation.anchors.filter(revision=current).first()
    if anchor is None or anchor.orphaned:
        raise StateConflict("The suggested passage is no longer in the current revision.", "suggestion_not_applicable")
    body = _replace_in_body(current.body, anchor, len(current.text), annotation.suggestion, current.text)
    before = _snapshot(annotation)
    # Resolved before the new revision is made, so it is not carried onto the text it changed.
    annotation.status, annotation.resolved_by, annotation.resolved_at = AnnotationStatus.RESOLVED, actor, timezone.now()
    annotation.save(update_fields=["status", "resolved_by", "resolved_at"])
    revision = make_new_revision(
        article,
        actor=actor,
        title=current.title,
        body=body,
        references=[r.as_dict() for r in current.references.all()],
        change_summary=f"Accepted suggestion #{annotation.pk}",
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
