"""Who may review an article: the one rule that assigning, deciding, annotating and suggesting all use.

A board member may review an article when their membership is active, they did not write it, they are
assigned to it (where an assignment is needed), their credentials are in date, and no conflict of interest
stands in the way (a declaration on file, where one is needed before the step). The rule answers with the
first refusal that applies, or None.

The author as reviewer has one answer everywhere: the refusal `own_article`. Its status follows API.md's
rule for whose right it is: 403 when the member is the acting user (deciding, annotating), 400 when an
editor names them in a request body (assigning).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum

from django.utils import timezone

from articles.models import Article

from .models import Assignment, BoardMember, ConflictDeclaration


class RefusalKind(Enum):
    MEMBERSHIP = "membership"  # about who the member is: 403 for the acting member, 400 for a named one
    DECLARATION = "declaration"  # about the declarations on file: 409


@dataclass(frozen=True)
class Refusal:
    code: str
    sentence: str
    kind: RefusalKind

    @property
    def is_membership(self) -> bool:
        return self.kind is RefusalKind.MEMBERSHIP


@dataclass
class ReviewerFacts:
    """What the rule reads about one member and one article; load it with `reviewer_facts`."""

    user: object
    profile: BoardMember | None
    assignment: Assignment | None
    declaration: ConflictDeclaration | None


def _sentence(you: bool, yours: str, theirs: str, name: str, **values) -> str:
    return (yours if you else theirs).format(name=name, **values)


def reviewer_refusal(
    article: Article,
    facts: ReviewerFacts,
    *,
    needs_assignment: bool,
    needs_declaration: bool,
    you: bool,
    today: datetime.date | None = None,
) -> Refusal | None:
    """The first reason this member may not review the article, or None.

    `needs_assignment`: the step is taken by an assigned member (decide, annotate), not by an editor
    choosing one (assign, suggest). `needs_declaration`: a conflict-of-interest declaration must be on
    file (decide). `you`: the sentence speaks to the member ("You are not assigned…") or about them.
    Membership refusals come first, so a caller can answer them before it reads the request body.
    """
    user, profile = facts.user, facts.profile
    name = profile.display_name if profile is not None else user.get_username()
    if profile is None or not profile.active or not user.is_active:
        sentence = _sentence(you, "Your board membership is not active.", "{name} is not an active board member.", name)
        return Refusal("not_active_member", sentence, RefusalKind.MEMBERSHIP)
    if article.created_by_id == user.pk:
        return Refusal("own_article", "A board member cannot review an article they wrote.", RefusalKind.MEMBERSHIP)
    if needs_assignment and (facts.assignment is None or not facts.assignment.is_active):
        sentence = _sentence(
            you, "You are not assigned to review this article.", "{name} is not assigned to this article.", name
        )
        return Refusal("not_assigned", sentence, RefusalKind.MEMBERSHIP)
    if not profile.credentials_valid(today or timezone.now().date()):
        sentence = _sentence(
            you,
            "Your credentials expired on {date}; they must be renewed before you review.",
            "{name}'s credentials expired on {date}.",
            name,
            date=f"{profile.credentials_valid_until:%Y-%m-%d}",
        )
        return Refusal("credentials_expired", sentence, RefusalKind.MEMBERSHIP)
    declaration = facts.declaration
    if declaration is not None and declaration.has_conflict:
        sentence = _sentence(
            you,
            "You declared a conflict of interest on this article.",
            "{name} declared a conflict of interest on this article.",
            name,
        )
        return Refusal("conflict_of_interest", sentence, RefusalKind.DECLARATION)
    if needs_declaration and declaration is None:
        sentence = _sentence(
            you,
            "Declare your conflicts of interest for this article before deciding.",
            "{name} has not declared their conflicts of interest for this article.",
            name,
        )
        return Refusal("coi_declaration_required", sentence, RefusalKind.DECLARATION)
    return None


def reviewer_facts(article: Article, users, known: dict[int, ReviewerFacts] | None = None) -> dict[int, ReviewerFacts]:
    """The facts for each of `users` about `article`, in three queries whatever their number (two when their
    profiles were loaded with them; none for those in `known`, facts read under the same lock)."""
    known = known or {}
    facts = {u.pk: known[u.pk] for u in users if u.pk in known}
    users = [u for u in users if u.pk not in known]
    if not users:
        return facts
    ids = [u.pk for u in users]
    # A profile read with the user for this request (by its authentication, or under this transaction's lock:
    # marked `profile_read_for_request`) is not read again.
    loaded = {
        u.pk: u._state.fields_cache["board_profile"]
        for u in users
        if getattr(u, "profile_read_for_request", False) and "board_profile" in u._state.fields_cache
    }
    unknown = [pk for pk in ids if pk not in loaded]
    profiles = {pk: p for pk, p in loaded.items() if p is not None}
    if unknown:
        profiles.update({p.user_id: p for p in BoardMember.objects.filter(user_id__in=unknown)})
    assignments = {a.reviewer_id: a for a in Assignment.objects.filter(article=article, reviewer_id__in=ids)}
    declarations = declarations_in_force(article, ids)
    return facts | {
        u.pk: ReviewerFacts(
            user=u, profile=profiles.get(u.pk), assignment=assignments.get(u.pk), declaration=declarations.get(u.pk)
        )
        for u in users
    }


def declarations_in_force(article: Article, member_ids) -> dict[int, ConflictDeclaration]:
    """Each member's newest declaration on the article (a new one replaces the old)."""
    latest: dict[int, ConflictDeclaration] = {}
    for declaration in ConflictDeclaration.objects.filter(article=article, member_id__in=member_ids).order_by(
        "member_id", "-declared_at", "-id"
    ):
        latest.setdefault(declaration.member_id, declaration)
    return latest
