"""Reads about the board: quorum, reviewer suggestions, annotations on a revision, and what counts as reviewed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from articles.models import OPEN_STATES, Article, ArticleState, Revision

from .claims import Claim, revision_claims
from .eligibility import ReviewerFacts, declarations_in_force, reviewer_facts, reviewer_refusal
from .models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    REFUSAL_VERDICTS,
    Annotation,
    AnnotationAnchor,
    AnnotationReply,
    BoardMember,
    ClaimVerification,
    ConflictDeclaration,
    Decision,
    ReviewStatus,
    RevisionApproval,
    Verdict,
)


def declaration_in_force(article: Article, member) -> ConflictDeclaration | None:
    return declarations_in_force(article, [member.pk]).get(member.pk)


def board_profile(user) -> BoardMember | None:
    try:
        return user.board_profile
    except BoardMember.DoesNotExist:
        return None


@dataclass
class QuorumStatus:
    quorum: int
    approvals: list[Decision]
    required_specialties: list[str]
    covered_specialties: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.approvals)

    @property
    def missing_specialties(self) -> list[str]:
        return [s for s in self.required_specialties if s not in self.covered_specialties]

    @property
    def met(self) -> bool:
        return self.count >= self.quorum and not self.missing_specialties


def in_current_round(article: Article, decisions) -> list[Decision]:
    """Of decisions read already, those of the current round (what `current_round()` selects)."""
    return [d for d in decisions if d.in_current_round(article)]


def valid_approvals(article: Article, known: dict | None = None, decisions=None) -> list[Decision]:
    """Approvals in the current round by members who may still review it (the eligibility rule).
    `decisions`: the article's decisions read already (with their reviewers' profiles), not read again."""
    if decisions is None:
        decisions = list(
            Decision.objects.filter(article=article, verdict=Verdict.APPROVE)
            .current_round()
            .select_related("reviewer__board_profile", "revision")
            .order_by("signed_at", "id")
        )
    else:
        decisions = sorted(
            (d for d in in_current_round(article, decisions) if d.verdict == Verdict.APPROVE),
            key=lambda d: (d.signed_at, d.pk),
        )
    for decision in decisions:
        decision.reviewer.profile_read_for_request = True  # read just now, with the decision
    facts = reviewer_facts(article, [d.reviewer for d in decisions], known)
    today = timezone.now().date()
    return [
        d
        for d in decisions
        if reviewer_refusal(
            article, facts[d.reviewer_id], needs_assignment=True, needs_declaration=True, you=False, today=today
        )
        is None
    ]


def quorum_status(article: Article, known: dict | None = None, decisions=None) -> QuorumStatus:
    """`known`: reviewer facts already read in this transaction (user id -> ReviewerFacts); `decisions`: the
    article's decisions, read already with their reviewers' profiles."""
    # Never submitted: nobody has decided anything yet (no read needed).
    approvals = valid_approvals(article, known, decisions) if article.first_submitted_at is not None else []
    # The specialties the member had when signing: a later profile change does not rewrite the past.
    covered = sorted({s for d in approvals for s in d.specialties})
    return QuorumStatus(
        quorum=article.quorum,
        approvals=approvals,
        required_specialties=list(article.required_specialties or []),
        covered_specialties=covered,
    )


def suggested_reviewers(article: Article, limit: int = 10) -> list[dict]:
    """Board members who may review the article and are not assigned yet: matching specialty first, then the
    lightest load of open assignments. Who may review is the eligibility rule (never the author, never a
    conflicted or expired member)."""
    wanted = set(article.required_specialties or []) | ({article.topic} if article.topic else set())
    members = list(
        BoardMember.objects.filter(active=True, user__is_active=True)
        .select_related("user")
        .annotate(
            load=Count(
                "user__assignments",
                filter=Q(user__assignments__status__in=ACTIVE_ASSIGNMENT_STATUSES)
                & Q(user__assignments__article__state__in=OPEN_STATES),
            )
        )
    )
    facts = reviewer_facts(article, [m.user for m in members])
    today = timezone.now().date()
    candidates = []
    for member in members:
        member_facts: ReviewerFacts = facts[member.user_id]
        if member_facts.assignment is not None and member_facts.assignment.is_active:
            continue
        refusal = reviewer_refusal(
            article, member_facts, needs_assignment=False, needs_declaration=False, you=False, today=today
        )
        if refusal is None:
            candidates.append(member)
    candidates.sort(key=lambda m: (-len(wanted & set(m.specialties)), m.load, m.display_name))
    return [
        {
            "username": m.user.username,
            "name": m.display_name,
            "specialties": m.specialties,
            "matching_specialties": sorted(wanted & set(m.specialties)),
            "open_assignments": m.load,
        }
        for m in candidates[:limit]
    ]


def open_blocking_annotation_ids(article: Article) -> list[int]:
    """Blocking annotations not yet resolved, orphaned or not: losing the text does not lift a concern."""
    return list(Annotation.objects.filter(article=article).open_blocking().order_by("id").values_list("id", flat=True))


def anchors_on_revision(revision):
    """Every annotation as it stands on the revision, with its thread, in a constant number of queries."""
    return (
        AnnotationAnchor.objects.filter(revision=revision)
        .select_related(
            "annotation__created_by",
            "annotation__created_on_revision",
            "annotation__resolved_by",
            "positions_revision",
            "annotation__accepted_revision",
            "revision",
        )
        .prefetch_related(
            Prefetch("annotation__replies", queryset=AnnotationReply.objects.select_related("author").order_by("id"))
        )
        .order_by("start", "annotation_id")
    )


# --- What counts as reviewed -------------------------------------------------------------------------------


def standing_approvals(
    revision_ids, *, at: datetime.datetime | None = None, with_decisions: bool = False
) -> dict[int, RevisionApproval]:
    """For each revision whose approval stands (at `at`, default now), that approval.

    An approval stands when a round of decisions reached the quorum on the revision and no later round
    withdrew it (a re-review that ended in changes requested or a rejection). This is the one answer to
    "was this text reviewed" for every page, the API, the structured data and the auditor.
    """
    refusals = Decision.objects.filter(revision_id=OuterRef("revision_id"), verdict__in=REFUSAL_VERDICTS)
    # A queryset of ids stays a subquery (one query in all); anything else is a list of ids.
    ids = revision_ids if isinstance(revision_ids, QuerySet) else list(revision_ids)
    approvals = RevisionApproval.objects.filter(revision_id__in=ids)
    if at is not None:
        approvals = approvals.filter(approved_at__lte=at)
        refusals = refusals.filter(signed_at__lte=at)
    # The latest round that refused the revision, in the same query as its approvals.
    refused_round = refusals.order_by().values("revision_id").annotate(latest=Max("round")).values("latest")[:1]
    approvals = approvals.annotate(refused_round=Subquery(refused_round)).order_by("revision_id", "-round")
    if with_decisions:
        approvals = approvals.prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("conflict_declaration", "revision").order_by(
                    "signed_at", "id"
                ),
            )
        )
    latest: dict[int, RevisionApproval] = {}
    for approval in approvals:
        latest.setdefault(approval.revision_id, approval)
    return {rid: a for rid, a in latest.items() if (a.refused_round or 0) <= a.round}


def approved_revision_ids(revision_ids) -> set[int]:
    return set(standing_approvals(revision_ids))


def review_statuses(article: Article, revision_ids, approved: set[int] | None = None) -> dict[int, str]:
    """The truth now about each revision of the article: approved, under_review (changes requested counts)
    or submitted. `approved` may pass the standing approvals when the caller has read them already."""
    revision_ids = set(revision_ids)
    approved = approved_revision_ids(revision_ids) if approved is None else approved
    undecided = revision_ids - approved
    decided = (
        set(Decision.objects.filter(revision_id__in=undecided).values_list("revision_id", flat=True).distinct())
        if undecided
        else set()
    )
    statuses = {}
    for revision_id in revision_ids:
        if revision_id in approved:
            statuses[revision_id] = ReviewStatus.APPROVED
        elif revision_id in decided or (
            revision_id == article.current_revision_id
            and article.state in (ArticleState.UNDER_REVIEW, ArticleState.CHANGES_REQUESTED)
        ):
            statuses[revision_id] = ReviewStatus.UNDER_REVIEW
        else:
            statuses[revision_id] = ReviewStatus.SUBMITTED
    return statuses


@dataclass
class ClaimProgress:
    """One member's verifications of one revision's claims."""

    claims: list[Claim]
    verified: dict[str, ClaimVerification]  # by claim key

    @property
    def total(self) -> int:
        return len(self.claims)

    @property
    def done(self) -> int:
        return sum(1 for claim in self.claims if claim.key in self.verified)

    @property
    def doses(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.is_dose]

    @property
    def unverified_doses(self) -> list[Claim]:
        return [claim for claim in self.doses if claim.key not in self.verified]


def claim_progress(revision: Revision, member) -> ClaimProgress:
    """The revision's claims and which of them `member` verified: one query, memoised on the revision object
    (a page asks for each transition it offers)."""
    known = revision.__dict__.setdefault("_claim_progress", {})
    if member.pk not in known:
        rows = ClaimVerification.objects.filter(revision=revision, member=member)
        known[member.pk] = ClaimProgress(revision_claims(revision), {v.claim_key: v for v in rows})
    return known[member.pk]


def doses_verified_by(revision: Revision, member_ids: list[int]) -> bool:
    """Whether each of these members verified every dose statement of the revision (one query). False when the
    revision states no dose: "every dose checked" would then tell a reader nothing true."""
    doses = {claim.key for claim in revision_claims(revision) if claim.is_dose}
    if not doses or not member_ids:
        return False
    pairs = set(
        ClaimVerification.objects.filter(revision=revision, member_id__in=member_ids, claim_key__in=doses).values_list(
            "member_id", "claim_key"
        )
    )
    return all((member_id, key) in pairs for member_id in member_ids for key in doses)
