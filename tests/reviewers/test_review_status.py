"""reviewers.selectors.standing_approvals: the one answer to "was this text reviewed", now and at a moment."""

from __future__ import annotations

import pytest
from django.utils import timezone

from articles.models import Article
from editorial.services import workflow
from reviewers.models import RevisionApproval
from reviewers.selectors import review_statuses, standing_approvals
from tests.factories import PASSWORD, reviewed_article, sign_decision

pytestmark = pytest.mark.django_db


def test_an_approval_stands_until_a_later_round_refuses_it(author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved")
    revision_id = article.current_revision_id
    approval = RevisionApproval.objects.get(revision_id=revision_id)
    assert standing_approvals([revision_id]) == {revision_id: approval}
    before_refusal = timezone.now()
    workflow.open_rereview(article, actor=editor)
    assert revision_id in standing_approvals([revision_id])  # a re-review under way does not withdraw it
    sign_decision(
        Article.objects.get(pk=article.pk), verdict="request_changes", actor=board, password=PASSWORD, comment="Old"
    )
    assert standing_approvals([revision_id]) == {}
    # As of a moment before the refusal, the approval stood (the auditor's "live on date D").
    assert standing_approvals([revision_id], at=before_refusal) == {revision_id: approval}
    assert review_statuses(Article.objects.get(pk=article.pk), [revision_id]) == {revision_id: "under_review"}


def test_a_later_round_that_approves_again_stands(author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved")
    workflow.open_rereview(article, actor=editor)
    sign_decision(Article.objects.get(pk=article.pk), verdict="approve", actor=board, password=PASSWORD)
    found = standing_approvals([article.current_revision_id])
    assert found[article.current_revision_id].round == 2


def test_nothing_stands_before_the_approval_and_statuses_say_why(author, editor, board):
    submitted = reviewed_article(author, editor, [board], state="submitted")
    under_review = reviewed_article(author, editor, [board], state="under_review")
    assert standing_approvals([submitted.current_revision_id, under_review.current_revision_id]) == {}
    assert review_statuses(submitted, [submitted.current_revision_id]) == {submitted.current_revision_id: "submitted"}
    assert review_statuses(under_review, [under_review.current_revision_id]) == {
        under_review.current_revision_id: "under_review"
    }


def test_standing_approvals_take_one_query_however_many_revisions(author, editor, board, django_assert_num_queries):
    articles = [reviewed_article(author, editor, [board], state="approved", title=f"Q {i}?") for i in range(4)]
    with django_assert_num_queries(1):
        found = standing_approvals([a.current_revision_id for a in articles])
    assert len(found) == 4
