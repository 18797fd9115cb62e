"""The board member's review queue: order, links, and answering assignments."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import ArticleState
from editorial.services import assignments as assignment_services
from editorial.services import workflow
from reviewers.models import Assignment
from tests.factories import make_article
from tests.pages.workspace.helpers import audit_count, shown, workspace_url

pytestmark = pytest.mark.django_db


def respond_url(assignment, answer):
    return reverse("assignment-respond", args=[assignment.pk, answer])


def submitted_article(author, editor, reviewer, title, due=None):
    article = make_article(author, title=title)
    workflow.submit_article(article, actor=author)
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=reviewer.username, due=due)
    return article


def test_queue_overdue_first_then_by_due_date(signed_in, author, editor, board):
    today = timezone.now().date()
    later = submitted_article(author, editor, board, "Later?", today + datetime.timedelta(days=9))
    undated = submitted_article(author, editor, board, "Whenever?")
    soon = submitted_article(author, editor, board, "Soon?", today + datetime.timedelta(days=2))
    overdue = submitted_article(author, editor, board, "Overdue?", today + datetime.timedelta(days=1))
    Assignment.objects.filter(article=overdue).update(due=today - datetime.timedelta(days=3))
    declined = submitted_article(author, editor, board, "Declined?")
    assignment_services.respond_to_assignment(
        Assignment.objects.get(article=declined), actor=board, accept=False, reason="Away."
    )
    page = signed_in(board).get(reverse("review-queue")).content.decode()
    positions = [page.index(workspace_url(a)) for a in (overdue, soon, later, undated)]
    assert positions == sorted(positions)
    assert workspace_url(declined) not in page
    overdue_row = page[page.index(workspace_url(overdue)) : page.index("</tr>", page.index(workspace_url(overdue)))]
    assert "Overdue" in overdue_row and 'data-state="submitted"' in overdue_row
    assert "Overdue" not in page[page.index(workspace_url(soon)) : page.index("</tr>", page.index(workspace_url(soon)))]


def test_only_my_assignments_on_articles_i_may_see(signed_in, author, editor, board, board2):
    mine = submitted_article(author, editor, board, "Mine?")
    theirs = submitted_article(author, editor, board2, "Theirs?")
    draft = make_article(author, title="Unsubmitted draft?")
    assignment_services.assign_reviewer(draft, actor=editor, reviewer_username=board.username)
    page = signed_in(board).get(reverse("review-queue")).content.decode()
    assert workspace_url(mine) in page
    assert workspace_url(theirs) not in page
    assert "Unsubmitted draft?" not in page


def test_finished_reviews_are_listed_apart(signed_in, build, board):
    approved = build(ArticleState.APPROVED)
    page = signed_in(board).get(reverse("review-queue")).content.decode()
    assert 'id="finished-reviews"' in page and workspace_url(approved) in page
    assert 'id="queue-empty"' in page


def test_accept_and_decline(signed_in, author, editor, board):
    first = Assignment.objects.get(article=submitted_article(author, editor, board, "First?"))
    second = Assignment.objects.get(article=submitted_article(author, editor, board, "Second?"))
    client = signed_in(board)
    page = client.get(reverse("review-queue")).content.decode()
    assert respond_url(first, "accept") in page and respond_url(first, "decline") in page
    response = client.post(respond_url(first, "accept"))
    assert response["Location"] == reverse("review-queue")
    first.refresh_from_db()
    assert first.status == "accepted"
    assert "You accepted the review." in client.get(reverse("review-queue")).content.decode()

    events = audit_count()
    response = client.post(respond_url(second, "decline"), {"reason": "  "})
    assert shown(response) == ["A reason is required to decline."]
    second.refresh_from_db()
    assert second.status == "assigned" and audit_count() == events
    client.post(respond_url(second, "decline"), {"reason": "On leave."})
    second.refresh_from_db()
    assert second.status == "declined"
    assert "Second?" not in client.get(reverse("review-queue")).content.decode()

    response = client.post(respond_url(first, "decline"), {"reason": "Changed my mind."})
    assert shown(response) == ["This assignment was already accepted."]


def test_answering_someone_elses_assignment_is_refused(signed_in, author, editor, board, board2):
    assignment = Assignment.objects.get(article=submitted_article(author, editor, board, "Mine?"))
    events = audit_count()
    response = signed_in(board2).post(respond_url(assignment, "accept"))
    assert shown(response) == ["Only the assigned board member can answer this assignment."]
    assignment.refresh_from_db()
    assert assignment.status == "assigned" and audit_count() == events


def test_wrong_roles_unknown_answers_and_hidden_articles(signed_in, author, editor, board, auditor):
    assignment = Assignment.objects.get(article=submitted_article(author, editor, board, "Mine?"))
    for user in (author, editor, auditor):
        assert signed_in(user).post(respond_url(assignment, "accept")).status_code == 403
    assert signed_in(board).post(respond_url(assignment, "maybe")).status_code == 404
    assert signed_in(board).get(respond_url(assignment, "accept")).status_code == 405
    draft = make_article(author, title="Draft?")
    hidden = assignment_services.assign_reviewer(draft, actor=editor, reviewer_username=board.username)
    assert signed_in(board).post(respond_url(hidden, "accept")).status_code == 404
    assignment.refresh_from_db()
    hidden.refresh_from_db()
    assert assignment.status == hidden.status == "assigned"


def test_answering_after_the_review_is_over_is_refused(signed_in, build, board2):
    approved = build(ArticleState.APPROVED)
    assignment = Assignment.objects.get(article=approved, reviewer=board2)
    events = audit_count()
    response = signed_in(board2).post(respond_url(assignment, "accept"))
    assert shown(response) == ["The review of this article is over."]
    assignment.refresh_from_db()
    assert assignment.status == "assigned" and audit_count() == events
