"""Assigning board members, their answers, and their conflict-of-interest declarations."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import OPEN_STATES, Article
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import InvalidInput, NotFound, StateConflict
from editorial.models import NotificationKind
from editorial.notifications import EVERY_EDITOR, notify
from reviewers.eligibility import reviewer_facts, reviewer_refusal
from reviewers.models import Assignment, AssignmentStatus, ConflictDeclaration
from reviewers.selectors import board_profile, declaration_in_force

from .common import lock_article, service_transaction


def _assignment_snapshot(assignment: Assignment) -> dict:
    return {
        "reviewer": assignment.reviewer.username,
        "status": assignment.status,
        "due": assignment.due.isoformat() if assignment.due else None,
    }


@service_transaction
def assign_reviewer(article: Article, *, actor, reviewer_username: str, due: datetime.date | None = None) -> Assignment:
    """An editor assigns a board member, who is never the author and never a declared-conflicted member."""
    article = lock_article(article)
    permissions.require_can_assign(actor)
    reviewer = get_user_model().objects.filter(username=reviewer_username).select_related("board_profile").first()
    if reviewer is None:
        raise InvalidInput(f"There is no user {reviewer_username!r}.", errors={"reviewer": ["Unknown user."]})
    reviewer.profile_read_for_request = True  # read just now, under the article's lock
    facts = reviewer_facts(article, [reviewer])[reviewer.pk]
    # The reviewer rule, about a member the editor names: its membership refusals are bad input (400),
    # a declared conflict a 409 (after the state, as API.md orders them).
    refusal = reviewer_refusal(article, facts, needs_assignment=False, needs_declaration=False, you=False)
    if refusal is not None and refusal.is_membership:
        raise InvalidInput(refusal.sentence, refusal.code, errors={"reviewer": [refusal.sentence]})
    if due is not None and due < timezone.now().date():
        raise InvalidInput("The due date is in the past.", errors={"due": ["Must be today or later."]})
    if article.state not in OPEN_STATES:
        raise StateConflict(f"Cannot assign reviewers to an article that is {article.get_state_display().lower()}.")
    if refusal is not None:
        raise StateConflict(refusal.sentence, refusal.code)
    profile = facts.profile
    assignment = facts.assignment
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
        # Never assigned before: no decisions yet; the declaration in force was read above.
        assignment.known_context = {"decisions": {}, "declarations": {reviewer.pk: facts.declaration}}
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


@service_transaction
def respond_to_assignment(assignment: Assignment, *, actor, accept: bool, reason: str = "") -> Assignment:
    """The assigned member accepts or declines."""
    assignment = Assignment.objects.select_for_update(no_key=True).select_related("reviewer").get(pk=assignment.pk)
    permissions.require_can_respond(assignment, actor)
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise StateConflict(f"This assignment was already {assignment.status}.")
    if assignment.article.state not in OPEN_STATES:
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


@service_transaction
def declare_conflict(article: Article, *, actor, has_conflict: bool, statement: str = "") -> ConflictDeclaration:
    """A board member files (or replaces) their conflict-of-interest declaration for this article."""
    article = lock_article(article)
    permissions.require_board_member(actor)
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
    if has_conflict and Assignment.objects.filter(article=article, reviewer=actor).active().exists():
        # The member stays listed but cannot decide; the editors must know to assign someone else.
        notify(
            NotificationKind.CONFLICT,
            event=event,
            recipients=[EVERY_EDITOR],
            article=article,
            subject=f"{profile.display_name} declared a conflict of interest: {article.title}",
            body=statement,
        )
    return declaration
