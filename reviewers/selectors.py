"""Reads about the board: declarations in force, valid approvals, quorum, reviewer suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from articles.models import Article

from .models import AssignmentStatus, BoardMember, ConflictDeclaration, Decision, Verdict


def declaration_in_force(article: Article, member) -> ConflictDeclaration | None:
    return ConflictDeclaration.objects.filter(article=article, member=member).order_by("-declared_at", "-id").first()


def declarations_in_force(article: Article, member_ids) -> dict[int, ConflictDeclaration]:
    latest: dict[int, ConflictDeclaration] = {}
    for declaration in ConflictDeclaration.objects.filter(article=article, member_id__in=member_ids).order_by(
        "member_id", "-declared_at", "-id"
    ):
        latest.setdefault(declaration.member_id, declaration)
    return latest


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


def valid_approvals(article: Article) -> list[Decision]:
    """Approvals on the current revision by members still assigned, declared unconflicted, in date."""
    decisions = list(
        Decision.objects.filter(
            article=article,
            revision_id=article.current_revision_id,
            verdict=Verdict.APPROVE,
            round=article.review_round,
        ).select_related("assignment", "reviewer__board_profile")
    )
    declarations = declarations_in_force(article, [d.reviewer_id for d in decisions])
    today = timezone.now().date()
    valid = []
    for decision in decisions:
        profile = board_profile(decision.reviewer)
        declaration = declarations.get(decision.reviewer_id)
        if (
            decision.assignment.is_active
            and profile is not None
            and profile.active
            and profile.credentials_valid(today)
            and declaration is not None
            and not declaration.has_conflict
        ):
            valid.append(decision)
    return valid


def quorum_status(article: Article) -> QuorumStatus:
    approvals = valid_approvals(article)
    # The specialties the member had when signing: a later profile change does not rewrite the past.
    covered = sorted({s for d in approvals for s in d.specialties})
    return QuorumStatus(
        quorum=article.quorum,
        approvals=approvals,
        required_specialties=list(article.required_specialties or []),
        covered_specialties=covered,
    )


def suggested_reviewers(article: Article, limit: int = 10) -> list[dict]:
    """Active, in-date board members who may review: matching specialty first, then the lightest load.

    Never the author, never a member who declared a conflict on this article, never one already assigned.
    """
    wanted = set(article.required_specialties or []) | ({article.topic} if article.topic else set())
    conflicted = {
        member_id
        for member_id, declaration in declarations_in_force(
            article, ConflictDeclaration.objects.filter(article=article).values("member_id")
        ).items()
        if declaration.has_conflict
    }
    today = timezone.now().date()
    open_states = ["submitted", "under_review", "changes_requested", "draft"]
    members = (
        BoardMember.objects.filter(active=True, user__is_active=True)
        .filter(Q(credentials_valid_until__isnull=True) | Q(credentials_valid_until__gte=today))
        .exclude(user_id=article.created_by_id)
        .exclude(user_id__in=conflicted)
        .exclude(user__assignments__article=article)
        .select_related("user")
        .annotate(
            load=Count(
                "user__assignments",
                filter=~Q(user__assignments__status=AssignmentStatus.DECLINED)
                & Q(user__assignments__article__state__in=open_states),
            )
        )
    )
    ranked = sorted(members, key=lambda m: (-len(wanted & set(m.specialties)), m.load, m.display_name))
    return [
        {
            "username": m.user.username,
            "name": m.display_name,
            "specialties": m.specialties,
            "matching_specialties": sorted(wanted & set(m.specialties)),
            "open_assignments": m.load,
        }
        for m in ranked[:limit]
    ]


def open_blocking_annotation_ids(article: Article) -> list[int]:
    """Blocking annotations not yet resolved, orphaned or not: losing the text does not lift a concern."""
    from .models import Annotation, AnnotationStatus

    return list(
        Annotation.objects.filter(article=article, status=AnnotationStatus.OPEN, blocking=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def anchors_on_revision(revision):
    """Every annotation as it stands on the revision, with its thread, in a constant number of queries."""
    from django.db.models import Prefetch

    from .models import AnnotationAnchor, AnnotationReply

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


def approved_revision_ids(revision_ids) -> set[int]:
    """Revisions whose approval still stands: approved in some round, and not refused in a later one
    (a periodic re-review that ends in changes requested or a rejection withdraws the approval)."""
    from django.db.models import Max

    from .models import Decision, RevisionApproval

    approvals = dict(
        RevisionApproval.objects.filter(revision_id__in=revision_ids)
        .values("revision_id")
        .annotate(round=Max("round"))
        .values_list("revision_id", "round")
    )
    refusals = dict(
        Decision.objects.filter(revision_id__in=approvals, verdict__in=[Verdict.REQUEST_CHANGES, Verdict.REJECT])
        .values("revision_id")
        .annotate(round=Max("round"))
        .values_list("revision_id", "round")
    )
    return {rid for rid, approved_round in approvals.items() if refusals.get(rid, 0) <= approved_round}


def review_statuses(article: Article, revision_ids) -> dict[int, str]:
    """The truth now about each revision: approved, under_review (changes requested counts) or submitted."""
    from .models import Decision

    revision_ids = set(revision_ids)
    approved = approved_revision_ids(revision_ids)
    decided = set(Decision.objects.filter(revision_id__in=revision_ids).values_list("revision_id", flat=True))
    statuses = {}
    for revision_id in revision_ids:
        if revision_id in approved:
            statuses[revision_id] = "approved"
        elif revision_id in decided or (
            revision_id == article.current_revision_id and article.state in ("under_review", "changes_requested")
        ):
            statuses[revision_id] = "under_review"
        else:
            statuses[revision_id] = "submitted"
    return statuses


def decided_this_round(article: Article):
    """Decisions that count as "already decided": on the current revision, in the current review round."""
    return Decision.objects.filter(revision_id=article.current_revision_id, round=article.review_round)
