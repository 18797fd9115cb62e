"""The retraction list: adding a retracted work, and what it does to the articles that cite it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from articles.models import ANNOTATABLE_STATES, Article, ArticleState, Reference, RereviewReason
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import EditorialError, InvalidInput, StateConflict
from editorial.models import NotificationKind, ReferenceRetraction
from editorial.notifications import EVERY_EDITOR, notify
from editorial.outbox import enqueue, handles
from reviewers.checks import DOI_PATTERN, normalise_doi

from .checks import apply_findings, retracted_identifiers, revision_findings
from .common import lock_article, service_transaction
from .workflow import reopen_review

# ASCII digits only: str.isdigit() would take "١٢٣" (Arabic-Indic digits), which no PubMed record has.
PMID_DIGITS = re.compile(r"[0-9]{1,9}")
_PMID_PREFIX = re.compile(r"^pmid\s*:?\s*", re.I)
BOTH_OR_NEITHER = "Give exactly one of doi and pmid."
RECHECK_KIND = "retraction_recheck"
DOI_MAX_CHARS = ReferenceRetraction._meta.get_field("doi").max_length


def normalised_identifier(*, doi: str | None, pmid: str | None) -> tuple[str, str]:
    """(doi, pmid) as stored, one of them empty: the DOI lower-cased without a https://doi.org/ or doi: prefix,
    the PMID its ASCII digits. 400 naming the field when both, neither, or a malformed one is given."""
    doi, pmid = (doi or "").strip(), (pmid or "").strip()
    if bool(doi) == bool(pmid):
        raise InvalidInput(BOTH_OR_NEITHER, errors={"doi": [BOTH_OR_NEITHER], "pmid": [BOTH_OR_NEITHER]})
    if doi:
        value = normalise_doi(doi)
        if not DOI_PATTERN.fullmatch(value) or len(value) > DOI_MAX_CHARS:
            raise InvalidInput(
                f"{doi!r} is not a DOI (10.NNNN/suffix).", errors={"doi": ["Not a DOI of the form 10.NNNN/suffix."]}
            )
        return value, ""
    value = _PMID_PREFIX.sub("", pmid)
    if not PMID_DIGITS.fullmatch(value) or int(value) == 0:
        raise InvalidInput(f"{pmid!r} is not a PMID (1 to 9 digits).", errors={"pmid": ["Not a PMID: 1 to 9 digits."]})
    return "", str(int(value))  # without leading zeros, as PubMed writes them


def citing_revision_ids(retraction: ReferenceRetraction) -> set[int]:
    """The revisions with a reference to the retracted work, whatever way their DOI or PMID is written."""
    if retraction.doi:
        rows = Reference.objects.filter(doi__icontains=retraction.doi).values_list("revision_id", "doi")
        return {revision_id for revision_id, doi in rows if normalise_doi(doi) == retraction.doi}
    rows = Reference.objects.filter(pmid__contains=retraction.pmid).values_list("revision_id", "pmid")
    return {revision_id for revision_id, pmid in rows if _pmid_of(pmid) == retraction.pmid}


def _pmid_of(value: str) -> str:
    digits = _PMID_PREFIX.sub("", (value or "").strip())
    return str(int(digits)) if PMID_DIGITS.fullmatch(digits) else ""


@service_transaction
def add_reference_retraction(
    *, actor, doi: str | None = None, pmid: str | None = None, note: str
) -> ReferenceRetraction:
    """Put a work on the retraction list. Every article under review that cites it gets a blocking
    `retracted_reference` check on its current revision; for every article whose live version cites it the
    editors are told, and an approved one is put under review again.

    `actor` None: imported from the shell (import_retractions), which whoever runs the server may do.
    """
    if actor is not None:
        permissions.require_can_manage_retractions(actor)
    doi, pmid = normalised_identifier(doi=doi, pmid=pmid)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("A note is required: why it was retracted.", errors={"note": ["This field is required."]})
    listed = StateConflict(f"{doi or 'PMID ' + pmid} is already on the retraction list.", "already_listed")
    if ReferenceRetraction.objects.filter(doi=doi, pmid=pmid).exists():
        raise listed
    try:
        with transaction.atomic():  # a concurrent addition of the same work wins the unique constraint
            retraction = ReferenceRetraction.objects.create(doi=doi, pmid=pmid, note=note, created_by=actor)
    except IntegrityError as error:
        raise listed from error
    record_event(
        "retraction.create",
        actor=actor,
        obj=retraction,
        after={"doi": doi, "pmid": pmid, "note": note},
        reason=note,
    )
    _act_on_citing_articles(retraction, actor=actor)
    # Once more after the commit: an article submitted while this transaction ran was not under review when it
    # looked, and its own checks may have read the list before this entry was committed.
    enqueue(RECHECK_KIND, {"retraction_id": retraction.pk}, dedupe_key=f"retraction-recheck:{retraction.pk}")
    return retraction


@handles(RECHECK_KIND)
def recheck_message(payload: dict) -> None:
    recheck_citing_articles(payload["retraction_id"])


@service_transaction
def recheck_citing_articles(retraction_id: int) -> int:
    """Give every article under review that cites the retracted work its check, if it lacks one (idempotent);
    return how many checks were raised."""
    retraction = ReferenceRetraction.objects.get(pk=retraction_id)
    return _block_articles_under_review(retraction, citing_revision_ids(retraction))


def _block_articles_under_review(retraction: ReferenceRetraction, revision_ids: set[int]) -> int:
    under_review = Article.objects.filter(state__in=ANNOTATABLE_STATES, current_revision_id__in=revision_ids)
    retracted = retracted_identifiers()
    return sum(
        _block(lock_article(pk), revision_ids, retracted) for pk in sorted(under_review.values_list("pk", flat=True))
    )


def _block(article: Article, revision_ids: set[int], retracted: set[str]) -> int:
    """The blocking check on the locked article's current revision, if it is under review and cites the work."""
    if article.state not in ANNOTATABLE_STATES or article.current_revision_id not in revision_ids:
        return 0
    findings = revision_findings(article.current_revision, retracted)
    return len(apply_findings(article, article.current_revision, findings, rules={"retracted_reference"}))


def _act_on_citing_articles(retraction: ReferenceRetraction, *, actor) -> None:
    revision_ids = citing_revision_ids(retraction)
    if not revision_ids:
        return
    live = set(Article.objects.filter(live_version__revision_id__in=revision_ids).values_list("pk", flat=True))
    reviewed = set(
        Article.objects.filter(state__in=ANNOTATABLE_STATES, current_revision_id__in=revision_ids).values_list(
            "pk", flat=True
        )
    )
    retracted = retracted_identifiers()
    for pk in sorted(live | reviewed):  # locked in id order, as any other writer of several articles does
        article = lock_article(pk)
        if article.live_version_id and article.live_version.revision_id in revision_ids:
            _reopen_live(article, retraction, actor=actor)
        _block(article, revision_ids, retracted)  # after a re-review opened, the live revision is under review


def _reopen_live(article: Article, retraction: ReferenceRetraction, *, actor) -> None:
    """Tell the editors; an approved article opens a re-review (the public page says why)."""
    title = article.current_revision.title
    notify(
        NotificationKind.SOURCE_RETRACTED,
        key=f"{retraction.pk}:{article.pk}",
        recipients=[EVERY_EDITOR],
        article=article,
        subject=f"Cited source retracted: {title}",
        body=f"The live version of {title} cites {retraction.identifier}, now retracted: {retraction.note}",
    )
    if article.state == ArticleState.APPROVED:
        reopen_review(
            article, actor=actor, reason=RereviewReason.RETRACTED_SOURCE, comment=f"{retraction.identifier} retracted."
        )


@dataclass
class ImportReport:
    added: int = 0
    skipped: int = 0  # already on the list
    invalid: list[str] = field(default_factory=list)  # "line N: why"


def import_retractions(rows: Iterable[Mapping[str, str]], *, actor=None, first_line: int = 2) -> ImportReport:
    """Add each row ({"doi", "pmid", "note"}) to the retraction list, each in its own transaction: a bad row
    is reported and the others are still added."""
    report = ImportReport()
    for line, row in enumerate(rows, start=first_line):
        try:
            add_reference_retraction(actor=actor, doi=row.get("doi"), pmid=row.get("pmid"), note=row.get("note") or "")
        except StateConflict:
            report.skipped += 1
        except EditorialError as error:
            report.invalid.append(f"line {line}: {error.detail}")
        else:
            report.added += 1
    return report
