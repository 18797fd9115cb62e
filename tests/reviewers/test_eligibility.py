"""reviewers.eligibility: the one rule for who may review an article, and every path that asks it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group

from editorial.roles import AUTHORS
from editorial.services import assignments as assignment_services
from reviewers.eligibility import RefusalKind, reviewer_facts, reviewer_refusal
from reviewers.models import BoardMember
from reviewers.selectors import suggested_reviewers
from tests.factories import make_user, reviewed_article, submitted_article

pytestmark = pytest.mark.django_db


def refusal_for(article, user, *, needs_assignment=True, needs_declaration=False, you=True):
    facts = reviewer_facts(article, [user])[user.pk]
    return reviewer_refusal(
        article, facts, needs_assignment=needs_assignment, needs_declaration=needs_declaration, you=you
    )


def test_an_assigned_declared_member_in_date_may_review(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    assert refusal_for(article, board, needs_declaration=True) is None


def test_an_inactive_membership_is_refused_first(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    BoardMember.objects.filter(user=board).update(active=False, credentials_valid_until=datetime.date(2000, 1, 1))
    refusal = refusal_for(article, board)
    assert (refusal.code, refusal.kind) == ("not_active_member", RefusalKind.MEMBERSHIP)
    assert refusal.sentence == "Your board membership is not active."


def test_a_user_without_a_board_profile_is_not_an_active_member(author, editor):
    article = submitted_article(author)
    assert refusal_for(article, editor, needs_assignment=False).code == "not_active_member"


def test_the_author_as_reviewer_is_own_article_whoever_asks(editor):
    writer = make_user("board", username="writing_doctor")
    writer.groups.add(Group.objects.get(name=AUTHORS))
    article = submitted_article(writer)
    for you in (True, False):
        refusal = refusal_for(article, writer, needs_assignment=False, you=you)
        assert (refusal.code, refusal.sentence) == (
            "own_article",
            "A board member cannot review an article they wrote.",
        )


def test_an_unassigned_or_declined_member_is_not_assigned(author, editor, board, board2):
    article = reviewed_article(author, editor, [board], state="under_review")
    assert refusal_for(article, board2).code == "not_assigned"
    assert refusal_for(article, board2, needs_assignment=False) is None  # an editor may still assign them
    assignment = article.assignments.get(reviewer=board)
    assignment.status = "declined"
    assignment.save()
    assert refusal_for(article, board).code == "not_assigned"


def test_expired_credentials_are_refused_with_the_date(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    BoardMember.objects.filter(user=board).update(credentials_valid_until=datetime.date(2020, 5, 1))
    refusal = refusal_for(article, board)
    assert refusal.code == "credentials_expired"
    assert "2020-05-01" in refusal.sentence
    name = BoardMember.objects.get(user=board).display_name
    assert refusal_for(article, board, you=False).sentence == f"{name}'s credentials expired on 2020-05-01."


def test_a_declared_conflict_is_a_declaration_refusal(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    assignment_services.declare_conflict(article, actor=board, has_conflict=True, statement="I consult for them")
    refusal = refusal_for(article, board)
    assert (refusal.code, refusal.kind) == ("conflict_of_interest", RefusalKind.DECLARATION)


def test_a_missing_declaration_is_refused_only_where_one_is_needed(author, editor, board):
    article = submitted_article(author)
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board.username)
    assert refusal_for(article, board) is None
    assert refusal_for(article, board, needs_declaration=True).code == "coi_declaration_required"


def test_suggestions_follow_the_rule(author, editor, board, board2):
    article = submitted_article(author, required_specialties=["oncology"])
    expired = make_user("board", username="expired", credentials_valid_until=datetime.date(2020, 1, 1))
    conflicted = make_user("board", username="conflicted")
    assignment_services.declare_conflict(article, actor=conflicted, has_conflict=True, statement="Shares")
    names = [s["username"] for s in suggested_reviewers(article)]
    assert names[0] == board2.username  # the matching specialty first
    assert board.username in names
    assert expired.username not in names and conflicted.username not in names
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board.username)
    assert board.username not in [s["username"] for s in suggested_reviewers(article)]


def test_facts_for_many_members_take_three_queries(author, editor, board, board2, django_assert_num_queries):
    article = reviewed_article(author, editor, [board, board2], state="under_review")
    others = [make_user("board", username=f"member{i}") for i in range(5)]
    with django_assert_num_queries(3):
        facts = reviewer_facts(article, [board, board2, *others])
    assert facts[board.pk].assignment is not None and facts[others[0].pk].assignment is None
    assert facts[board.pk].declaration is not None and facts[others[0].pk].declaration is None
