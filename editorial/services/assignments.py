"""Assigning board members, their answers, and their conflict-of-interest declarations."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from articles.models import Article, ArticleState
from editorial.audit import record_event
from editorial.exceptions import Forbidden, InvalidInput, NotFound, StateConflict
from editorial.models import NotificationKind
from editorial.notifications import editors, notify
from editorial.permissions import require_board_member, require_can_assign
from reviewers.models import Assignment, AssignmentStatus, ConflictDeclaration
from reviewers.selectors import board_profile, declaration_in_force

from .common import lock_article

ASSIGNABLE_STATES = (
    ArticleState.DRAFT,
    ArticleState.SUBMITTED,
    ArticleState.UNDER_REVIEW,
    ArticleState.CHANGES_REQUESTED,
)


def _assignment_snapshot(assignment: Assignment) -> dict:
    return {
        "reviewer": assignment.reviewer.username,
        "status": assignment.status,
        "due": assignment.due.isoformat() if assignment.due else None,
    }


@transaction.atomic
def assign_reviewer(article: Article, *, actor, reviewer_username: str, due: datetime.date | None = None) -> Assignment:
    """An editor assigns a board member, who is never the author and never a declared-conflicted member."""
    article = lock_article(article)
    require_can_assign(actor)
    reviewer = get_user_model().objects.filter(username=reviewer_username).select_related("board_profile").first()
    profile = board_profile(reviewer) if reviewer else None
    if reviewer is None:
        raise InvalidInput(f"There is no user {reviewer_username!r}.", errors={"reviewer": ["Unknown user."]})
    if profile is None or not profile.active or not reviewer.is_active:
        raise InvalidInput(
            f"{reviewer_username} is not an active board member.", errors={"reviewer": ["Not an active board member."]}
        )
    if not profile.credentials_valid():
        raise InvalidInput(
            f"{profile.display_name}'s credentials expired on {profile.credentials_valid_until:%Y-%m-%d}.",
            errors={"reviewer": ["Credentials expired."]},
        )
    if reviewer.pk == article.created_by_id:
        raise InvalidInput(
            "A board member cannot review an article they wrote.",
            errors={"reviewer": ["This is the article's author."]},
        )
    if due is not None and due < timezone.now().date():
        raise InvalidInput("The due date is in the past.", errors={"due": ["Must be today or later."]})
    if article.state not in ASSIGNABLE_STATES:
        raise StateConflict(f"Cannot assign reviewers to an article that is {article.get_state_display().lower()}.")
    declaration = declaration_in_force(article, reviewer)
    if declaration is not None and declaration.has_conflict:
        raise StateConflict(
            f"{profile.display_name} declared a conflict of interest on this article.", "conflict_of_interest"
        )
    assignment = Assignment.objects.filter(article=article, reviewer=reviewer).first()
    before = None
    if assignment is not None:
        if assignment.is_active:
            raise StateConflict(f"{profile.display_name} is already assigned.", "already_assigned")
        before = _assignment_snapshot(assignment)
        assignment.status, assignment.due, assignment.assigned_by = AssignmentStatus.ASSIGNED, due, actor
        assignment.assigned_at, assignment.responded_at = timezone.now(), None
        assignment.save()
    else:
        assignment = Assignment.objects.create(article=article, reviewer=reviewer, assigned_by=actor, due=due)
    event = record_event(
        "assignment.create",
        actor=actor,
        obj=assignment,
        article_id=article.pk,
        before=before,
        after=_assignment_snapshot(assignment),
    )
    due_text = f", due {due:%Y-%m-%d}" if due else ""
    notify(
        NotificationKind.ASSIGNED,
        event=event,
        recipients=[reviewer],
        article=article,
        subject=f"Please review: {article.title}{due_text}",
        body="You were assigned to review this article. Declare any conflict of interest before you decide.",
    )
    return assignment


def check_may_respond(assignment: Assignment, actor) -> None:
    if assignment.reviewer_id != actor.pk:
        raise Forbidden("Only the assigned board member can answer this assignment.")


@transaction.atomic
def respond_to_assignment(assignment: Assignment, *, actor, accept: bool, reason: str = "") -> Assignment:
    """The assigned member accepts or declines."""
    assignment = Assignment.objects.select_for_update().select_related("reviewer").get(pk=assignment.pk)
    check_may_respond(assignment, actor)
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise StateConflict(f"This assignment was already {assignment.status}.")
    if assignment.article.state not in ASSIGNABLE_STATES:
        raise StateConflict("The review of this article is over.")
    if not accept and not reason.strip():
        raise InvalidInput("A reason is required to decline.", errors={"reason": ["This field is required."]})
    before = _assignment_snapshot(assignment)
    assignment.status = AssignmentStatus.ACCEPTED if accept else AssignmentStatus.DECLINED
    assignment.responded_at = timezone.now()
    assignment.save(update_fields=["status", "responded_at"])
    record_event(
        f"assignment.{'accept' if accept else 'decline'}",
        actor=actor,
        obj=assignment,
        article_id=assignment.article_id,
        before=before,
        after=_assignment_snapshot(assignment),
        reason=reason,
    )
    return assignment


@transaction.atomic
def declare_conflict(article: Article, *, actor, has_conflict: bool, statement: str = "") -> ConflictDeclaration:
    """A board member files (or replaces) their conflict-of-interest declaration for this article."""
    article = lock_article(article)
    require_board_member(actor)
    if article.first_submitted_at is None:
        raise NotFound("No such article.")  # board members see an article only once it was submitted
    profile = board_profile(actor)
    statement = (statement or "").strip()
    if has_conflict and not statement:
        raise InvalidInput(
            "Describe the conflict of interest.", errors={"statement": ["Required when has_conflict is true."]}
        )
    previous = declaration_in_force(article, actor)
    declaration = ConflictDeclaration.objects.create(
        article=article, member=actor, has_conflict=has_conflict, statement=statement
    )
    event = record_event(
        "conflict.declare",
        actor=actor,
        obj=declaration,
        article_id=article.pk,
        before={"has_conflict": previous.has_conflict, "statement": previous.statement} if previous else None,
        after={"has_conflict": has_conflict, "statement": statement},
    )
    if has_conflict and Assignment.objects.filter(article=article, reviewer=actor).exists():
        # The member stays listed but cannot decide; the editors must know to assign someone else.
        notify(
            NotificationKind.CONFLICT,
            event=event,
            recipients=editors(),
            article=article,
            subject=f"{profile.display_name} declared a conflict of interest: {article.title}",
            body=statement,
        )
    return declaration
