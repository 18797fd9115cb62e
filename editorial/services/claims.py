"""Claim-by-claim verification: a board member marks a claim of the current revision "verified against [n]";
verifications follow a sentence onto the next revision only where it and its source are unchanged."""

from __future__ import annotations

from articles.models import IN_REVIEW_STATES, Article, Revision
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import InvalidInput, StateConflict
from reviewers.claims import revision_claims
from reviewers.models import ClaimVerification

from .common import lock_article, service_transaction


def _reference_sources(revision: Revision) -> dict[int, dict]:
    """Each reference's content without its number: what "the same source" means across revisions."""
    return {r.number: {k: v for k, v in r.as_dict().items() if k != "number"} for r in revision.references.all()}


@service_transaction
def verify_claim(article: Article, *, actor, revision_number: int, claim_key: str, reference: int) -> ClaimVerification:
    """Record that `actor` verified one claim of the current revision against reference `reference`.

    Answers in API.md's order: 403 (not a member who may review it), 400 (no such revision, claim or
    reference for that claim), 409 (a declared conflict, not in review, not the current revision, already
    verified). Nothing is recorded on an error.
    """
    article = lock_article(article)
    conflict = permissions.require_can_verify_claims(article, actor)
    revision = article.current_revision
    if revision_number != revision.number:
        revision = Revision.objects.filter(article=article, number=revision_number).first()
        if revision is None:
            raise InvalidInput(f"There is no revision {revision_number}.", errors={"revision": ["Unknown revision."]})
    claim = next((c for c in revision_claims(revision) if c.key == claim_key), None)
    if claim is None:
        raise InvalidInput(
            f"Revision {revision.number} has no such claim.", errors={"claim": ["Not a claim of this revision."]}
        )
    numbers = [r.number for r in revision.references.all()]
    choices = claim.reference_choices(numbers)
    if reference not in choices:
        allowed = ", ".join(f"[{n}]" for n in choices) or "none"
        raise InvalidInput(
            f"This claim can be verified against {allowed}.", errors={"reference": [f"Choose one of {allowed}."]}
        )
    if conflict is not None:
        raise StateConflict(conflict.sentence, conflict.code)
    if article.state not in IN_REVIEW_STATES:
        raise StateConflict(
            f"Claims are verified while the article is under review; it is {article.get_state_display().lower()}.",
            "invalid_transition",
        )
    if revision.pk != article.current_revision_id:
        raise StateConflict(
            f"Revision {revision.number} is not current; verify revision {article.current_revision.number}.",
            "stale_revision",
        )
    if ClaimVerification.objects.filter(revision=revision, member=actor, claim_key=claim.key).exists():
        raise StateConflict("You have already verified this claim.", "already_verified")
    verification = ClaimVerification.objects.create(
        revision=revision,
        member=actor,
        claim_key=claim.key,
        sentence=claim.sentence,
        start=claim.start,
        end=claim.end,
        reference=reference,
        is_dose=claim.is_dose,
    )
    record_event(
        "claim.verify",
        actor=actor,
        obj=verification,
        article_id=article.pk,
        after={
            "revision": revision.number,
            "claim": claim.key,
            "sentence": claim.sentence,
            "start": claim.start,
            "end": claim.end,
            "reference": reference,
            "doses": list(claim.doses),
        },
    )
    return verification


def carry_claim_verifications(article: Article, old: Revision, new: Revision, *, actor) -> None:
    """Carry each verification of the old revision onto the new one where its sentence is unchanged (the same
    wording, so the same key) and the reference it was verified against is the same source under the same
    number; every other claim of the new revision must be verified afresh. Inside the edit's transaction."""
    rows = list(ClaimVerification.objects.filter(revision=old))
    if not rows:
        return
    claims = {claim.key: claim for claim in revision_claims(new)}
    old_sources, new_sources = _reference_sources(old), _reference_sources(new)
    carried = []
    for row in rows:
        claim = claims.get(row.claim_key)
        if claim is None or old_sources.get(row.reference) != new_sources.get(row.reference):
            continue
        carried.append(
            ClaimVerification(
                revision=new,
                member_id=row.member_id,
                claim_key=row.claim_key,
                sentence=claim.sentence,
                start=claim.start,
                end=claim.end,
                reference=row.reference,
                is_dose=claim.is_dose,
                carried_from_id=row.carried_from_id or row.pk,  # always the original verification
                created_at=row.created_at,
            )
        )
    ClaimVerification.objects.bulk_create(carried)
    record_event(
        "claim.carry",
        actor=actor,
        obj=new,
        article_id=article.pk,
        before={"revision": old.number, "verifications": len(rows)},
        after={"revision": new.number, "carried": sorted({(v.member_id, v.claim_key) for v in carried})},
    )
