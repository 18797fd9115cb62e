"""Revisions: making the next immutable revision of an article, and carrying open annotations onto it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from articles.models import ANNOTATABLE_STATES, Article, Reference, Revision, RevisionSource, content_hash
from articles.rendering import render_body
from editorial.audit import record_event
from reviewers.anchoring import Anchor, Reanchorer
from reviewers.models import AnchorMethod, AnnotationAnchor, AnnotationStatus

from . import checks
from .claims import carry_claim_verifications
from .common import refuse_line_breaks


@dataclass(frozen=True)
class RevisionContent:
    """Everything a revision freezes: what readers are shown as reviewed, and how it was drafted."""

    title: str
    body: str
    references: list[dict]
    summary: str = ""
    source: dict | None = None  # {"kind": "human" | "machine", "model", "note"}; None: written by a person

    def __post_init__(self) -> None:
        refuse_line_breaks("title", self.title)

    @classmethod
    def of(cls, revision: Revision, **changes) -> RevisionContent:
        """The revision's content with `changes` applied (a field given as None keeps its value)."""
        current = {
            "title": revision.title,
            "body": revision.body,
            "references": [r.as_dict() for r in revision.references.all()],
            "summary": revision.plain_language_summary,
            "source": None,  # an edit is a person's unless the client says a machine drafted it
        }
        current.update({name: value for name, value in changes.items() if value is not None})
        return cls(**current)


def _numbered(references: list[dict]) -> list[dict]:
    """References as stored: numbered in order (their position is the [n] of the marker), blanks as ""."""
    return [
        {
            "number": i,
            "kind": r["kind"],
            "citation": r["citation"],
            "year": r.get("year"),
            "doi": r.get("doi") or "",
            "pmid": r.get("pmid") or "",
            "url": r.get("url") or "",
        }
        for i, r in enumerate(references, start=1)
    ]


def make_revision(article: Article, *, number: int, author, content: RevisionContent, change_summary: str) -> Revision:
    """Write revision `number` of the article with its references (the caller makes it current)."""
    refs = _numbered(content.references)
    source = content.source or {}
    rendered = render_body(content.body)
    revision = Revision.objects.create(
        article=article,
        number=number,
        title=content.title,
        body=content.body,
        plain_language_summary=content.summary,
        text=rendered.text,
        author=author,
        change_summary=change_summary,
        content_hash=content_hash(content.title, content.body, refs, content.summary),
        source=source.get("kind") or RevisionSource.HUMAN,
        source_model=source.get("model") or "",
        source_note=source.get("note") or "",
    )
    Reference.objects.bulk_create([Reference(revision=revision, **r) for r in refs])
    revision.rendered = rendered  # what the checks and the claims read next, not rendered again
    return revision


def make_new_revision(
    article: Article, *, actor, content: RevisionContent, change_summary: str, changed: list[str]
) -> Revision:
    """Make the next revision current, audit it, and carry the open annotations onto it.

    The caller holds the article's lock and has checked permission and state.
    """
    current = article.current_revision
    revision = make_revision(
        article, number=current.number + 1, author=actor, content=content, change_summary=change_summary
    )
    article.current_revision = revision
    article.updated_at = timezone.now()
    article.save(update_fields=["current_revision", "updated_at"])
    record_event(
        "revision.create",
        actor=actor,
        obj=revision,
        article_id=article.pk,
        before={"revision": current.number, "content_hash": current.content_hash},
        after={
            "revision": revision.number,
            "content_hash": revision.content_hash,
            "changed": changed,
            "change_summary": change_summary,
            "source": revision.source_dict(),
        },
    )
    carry_open_annotations(article, current, revision, actor=actor)
    carry_claim_verifications(article, current, revision, actor=actor)
    if article.state in ANNOTATABLE_STATES:
        # A new revision of a submitted article (changes requested): its checks run in the task.
        checks.queue_checks(article, revision)
    return revision


def carry_anchors(anchors: list[AnnotationAnchor], new_revision: Revision) -> dict[str, list[int]]:
    """Place each anchor onto the new revision; orphans stay orphaned with the selectors they last had."""
    outcome: dict[str, list[int]] = {"exact": [], "fuzzy": [], "orphaned": []}
    rows = []
    reanchorers: dict[int, Reanchorer] = {}  # per source revision; usually there is one
    for old in anchors:
        stored = Anchor(old.start, old.end, old.exact, old.prefix, old.suffix)
        if old.orphaned:
            rows.append(
                AnnotationAnchor.for_anchor(
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
                AnnotationAnchor.for_anchor(
                    old.annotation, new_revision, stored, AnchorMethod.ORPHANED, positions_revision=old.revision
                )
            )
        else:
            rows.append(
                AnnotationAnchor.for_anchor(
                    old.annotation, new_revision, placement.anchor, placement.method, placement.distance
                )
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
    outcome = carry_anchors(anchors, new_revision)
    record_event(
        "annotation.reanchor",
        actor=actor,
        obj=new_revision,
        article_id=article.pk,
        before={"revision": old_revision.number},
        after={"revision": new_revision.number, **outcome},
    )
