"""Automated checks: the rules of reviewers.checks run on a revision, their findings kept as annotations.

A check is an annotation of kind "check" with no creator and the `rule` that raised it. Checks run in a task
(outbox kind "checks") on submission and on every new revision of a submitted article, so the request that
causes them pays one outbox row, not the rules. A run is idempotent: a finding whose check is already open on
the revision is not raised twice, and one a person resolved is not raised again while its sentence is the
same. An open check whose finding is gone from the revision (the sentence now cites its source, the
retracted reference was removed) is resolved by the system.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable

from django.utils import timezone

from articles.models import ANNOTATABLE_STATES, Article, Revision
from editorial.audit import record_event
from editorial.models import ReferenceRetraction
from editorial.outbox import enqueue, handles
from reviewers.anchoring import Anchor, anchor_at
from reviewers.checks import Finding, run_checks, split_sentences, text_segments
from reviewers.models import AnchorMethod, Annotation, AnnotationAnchor, AnnotationKind, AnnotationStatus

from .common import lock_article, service_transaction

MESSAGE_KIND = "checks"


def queue_checks(article: Article, revision: Revision) -> None:
    """Queue the checks of `revision` (inside the transaction that submitted it or made it)."""
    enqueue(
        MESSAGE_KIND,
        {"article_id": article.pk, "revision_id": revision.pk},
        # A resubmission of the same revision in a later round runs again: the retraction list may have grown.
        dedupe_key=f"checks:{revision.pk}:{article.review_round}",
    )


@handles(MESSAGE_KIND)
def run_checks_message(payload: dict) -> None:
    check_revision(payload["revision_id"])


def retracted_identifiers() -> set[str]:
    """Every identifier on the retraction list, as reviewers.checks reads them ("doi:…", "pmid:…")."""
    return {r.identifier for r in ReferenceRetraction.objects.only("doi", "pmid")}


def revision_findings(revision: Revision, retracted: Collection[str] | None = None) -> list[Finding]:
    """What every rule finds on the revision, against the retraction list (read now unless given)."""
    references = [r.as_dict() for r in revision.references.all()]
    if retracted is None:
        retracted = retracted_identifiers()
    return run_checks(revision.text, revision.blocks, references, retracted)


@service_transaction
def check_revision(revision_id: int) -> list[Annotation]:
    """Run the checks on a revision, if it is still the current one of an article under review."""
    revision = Revision.objects.get(pk=revision_id)
    # Read without the lock first: a run that no longer applies (a newer revision runs its own checks; a
    # withdrawn, approved or draft article needs none now) never waits behind a writer of the article.
    if not _applies(Article.objects.only("state", "current_revision_id").get(pk=revision.article_id), revision):
        return []
    article = lock_article(revision.article_id)
    if not _applies(article, revision):
        return []
    return apply_findings(article, article.current_revision, revision_findings(article.current_revision))


def _applies(article: Article, revision: Revision) -> bool:
    return article.current_revision_id == revision.pk and article.state in ANNOTATABLE_STATES


def _context(finding: Finding, revision: Revision) -> str:
    """What a resolved check is compared on: its sentence, or for a finding with no place its reference."""
    if finding.sentence:
        return _normalised(finding.sentence)
    reference = next((r for r in revision.references.all() if r.number == finding.reference), None)
    if reference is None:
        return ""
    return _normalised(f"{reference.citation}|{reference.doi}|{reference.pmid}")


def _normalised(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _place(finding: Finding, revision: Revision) -> Anchor:
    """Where a finding is anchored. A reference finding with no place (a reference no marker cites, a
    malformed identifier, a duplicate) stands on the first marker citing that reference, else on the last
    sentence of the text, just before the reference list it is about."""
    text = revision.text
    if finding.start is not None and finding.end is not None and finding.start < finding.end:
        return anchor_at(text, finding.start, finding.end)
    if finding.reference is not None:
        marker = re.search(rf"\[{finding.reference}\](?!\()", text)
        if marker:
            return anchor_at(text, marker.start(), marker.end())
    segments = text_segments(text, None)
    if segments:
        last = segments[-1]
        sentences = split_sentences(text, last.start, last.end)
        start, end = sentences[-1] if sentences else (last.start, last.end)
        return anchor_at(text, start, end)
    return anchor_at(text, 0, len(text))


def apply_findings(
    article: Article, revision: Revision, findings: Iterable[Finding], *, rules: Collection[str] | None = None
) -> list[Annotation]:
    """Keep the findings on the current revision as checks; return the checks raised now.

    The caller holds the article's lock. With `rules`, only those rules were run: checks of other rules are
    left alone. Without, an open check whose finding is gone from this revision is resolved by the system.
    """
    findings = [f for f in findings if rules is None or f.rule in rules]
    if not revision.text:
        return []
    checks = list(Annotation.objects.filter(article=article, kind=AnnotationKind.CHECK))
    anchors = {a.annotation_id: a for a in AnnotationAnchor.objects.filter(revision=revision, annotation__in=checks)}
    by_key: dict[str, list[Annotation]] = {}
    for check in checks:
        by_key.setdefault(check.check_key, []).append(check)
    found, raised, superseded = set(), [], []
    for finding in findings:
        key = stored_key(finding.key)
        found.add(key)
        context = _context(finding, revision)
        same = by_key.get(key, [])
        open_here = [c for c in same if c.status == AnnotationStatus.OPEN and c.pk in anchors]
        if any(not anchors[c.pk].orphaned for c in open_here):
            continue  # already open on this revision, carried with the text
        superseded += open_here  # its text was lost, but the finding stands elsewhere: raised afresh below
        if any(_resolved_by_a_person(c) and c.check_sentence == context for c in same):
            continue  # a person resolved it, and its sentence has not changed since
        raised.append((finding, context))
    gone = (
        []
        if rules is not None
        else [c for c in checks if c.status == AnnotationStatus.OPEN and c.pk in anchors and c.check_key not in found]
    )
    _resolve_by_system(article, revision, superseded, gone, anchors)
    return _raise(article, revision, raised)


KEY_CHARS = Annotation._meta.get_field("check_key").max_length


def stored_key(key: str) -> str:
    """A finding's key as the column holds it: a long one (an uncited sentence's key is the sentence) is cut and
    ends with the hash of the whole, so that two long sentences alike at the start are still told apart."""
    if len(key) <= KEY_CHARS:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: KEY_CHARS - len(digest) - 1]}|{digest}"


def _resolved_by_a_person(check: Annotation) -> bool:
    # One the system resolved (no longer found) is raised again if the finding comes back.
    return check.status == AnnotationStatus.RESOLVED and check.resolved_by_id is not None


def _raise(article: Article, revision: Revision, raised: list[tuple[Finding, str]]) -> list[Annotation]:
    created = []
    for finding, context in raised:
        anchor = _place(finding, revision)
        annotation = Annotation.objects.create(
            article=article,
            created_on_revision=revision,
            kind=AnnotationKind.CHECK,
            body=finding.message,
            blocking=finding.blocking,
            created_by=None,
            quote=anchor.exact,
            rule=finding.rule,
            check_key=stored_key(finding.key),
            check_sentence=context,
        )
        AnnotationAnchor.for_anchor(annotation, revision, anchor, AnchorMethod.ORIGINAL).save()
        record_event(
            "annotation.create",
            actor=None,
            obj=annotation,
            article_id=article.pk,
            after={
                "kind": annotation.kind,
                "rule": annotation.rule,
                "status": annotation.status,
                "blocking": annotation.blocking,
                "revision": revision.number,
                "exact": anchor.exact,
                "start": anchor.start,
                "end": anchor.end,
                "body": annotation.body,
            },
        )
        created.append(annotation)
    return created


def _resolve_by_system(
    article: Article,
    revision: Revision,
    superseded: list[Annotation],
    gone: list[Annotation],
    anchors: dict[int, AnnotationAnchor],
) -> None:
    now = timezone.now()
    for checks, reason in (
        (superseded, f"Its text is gone from revision {revision.number}; the check is raised again where it stands."),
        (gone, f"The check no longer finds this on revision {revision.number}."),
    ):
        for annotation in checks:
            annotation.status, annotation.resolved_by, annotation.resolved_at = AnnotationStatus.RESOLVED, None, now
            annotation.save(update_fields=["status", "resolved_by", "resolved_at"])
            # It does not stand on this revision any more: it stays on the revisions it was open on.
            anchors[annotation.pk].delete()
            record_event(
                "annotation.resolve",
                actor=None,
                obj=annotation,
                article_id=article.pk,
                before={"kind": annotation.kind, "status": AnnotationStatus.OPEN, "blocking": annotation.blocking},
                after={"kind": annotation.kind, "status": annotation.status, "blocking": annotation.blocking},
                reason=reason,
            )
