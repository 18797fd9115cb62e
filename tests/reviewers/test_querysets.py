"""The board's rules as querysets and model properties: active and pending assignments, the current round,
open blocking annotations, and an annotation's status on a revision."""

from __future__ import annotations

import datetime

import pytest

from articles.models import Article
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import workflow
from reviewers.models import Annotation, AnnotationAnchor, Assignment, Decision
from tests.factories import BODY, PASSWORD, reviewed_article, sign_decision

pytestmark = pytest.mark.django_db


def test_active_leaves_out_declined_assignments(author, editor, board, board2):
    article = reviewed_article(author, editor, [board, board2], state="submitted")
    Assignment.objects.filter(article=article, reviewer=board2).update(status="declined")
    assert list(Assignment.objects.filter(article=article).active().values_list("reviewer", flat=True)) == [board.pk]
    assert [a.is_active for a in Assignment.objects.filter(article=article).order_by("reviewer_id")] == [True, False]


def test_pending_is_active_in_review_and_not_yet_decided_this_round(author, editor, board, board2):
    article = reviewed_article(author, editor, [board, board2], state="under_review", quorum=2)
    assert set(Assignment.objects.pending().values_list("reviewer", flat=True)) == {board.pk, board2.pk}
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    assert list(Assignment.objects.pending().values_list("reviewer", flat=True)) == [board2.pk]
    sign_decision(Article.objects.get(pk=article.pk), verdict="approve", actor=board2, password=PASSWORD)
    assert not Assignment.objects.pending().exists()  # approved: nobody owes a decision


def test_a_new_round_makes_an_earlier_decision_not_count(author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved")
    assert Decision.objects.filter(article=article).current_round().count() == 1
    assert [d.in_current_round(article) for d in Decision.objects.filter(article=article)] == [True]
    workflow.open_rereview(article, actor=editor)
    assert not Decision.objects.filter(article=article).current_round().exists()
    # The same rule for decisions already read (a page that shows them and asks it too).
    article = Article.objects.get(pk=article.pk)
    assert [d.in_current_round(article) for d in Decision.objects.filter(article=article)] == [False]
    assert list(Assignment.objects.pending().values_list("reviewer", flat=True)) == [board.pk]
    assert Assignment.objects.filter(article=article).with_decided().get().decided is False


def test_a_new_revision_makes_an_earlier_decision_not_count(author, editor, board):
    """After changes were requested the article moves on to revision 2: both forms of the rule agree."""
    article = reviewed_article(author, editor, [board], state="under_review")
    sign_decision(article, verdict="request_changes", actor=board, password=PASSWORD, comment="Fix it")
    workflow.revise_article(Article.objects.get(pk=article.pk), actor=author)
    article_services.edit_article(Article.objects.get(pk=article.pk), actor=author, body=BODY + " More.")
    article = Article.objects.get(pk=article.pk)
    decision = Decision.objects.get(article=article)
    assert decision.revision_id != article.current_revision_id
    assert not Decision.objects.filter(article=article).current_round().exists()
    assert decision.in_current_round(article) is False


def test_pending_excludes_articles_out_of_review(author, editor, board):
    reviewed_article(author, editor, [board], state="changes_requested")
    assert not Assignment.objects.pending().exists()


def test_open_blocking_and_display_status(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    text = article.current_revision.text
    quote = "Statins lower LDL cholesterol"
    start = text.index(quote)
    safety = annotation_services.add_annotation(
        article,
        actor=board,
        revision_number=1,
        kind="safety",
        body="Dose unclear",
        selectors={"exact": quote, "start": start, "end": start + len(quote)},
    )
    assert list(Annotation.objects.open_blocking().values_list("id", flat=True)) == [safety.pk]
    anchor = AnnotationAnchor.objects.get(annotation=safety)
    assert anchor.display_status == "open"
    anchor.method = "orphaned"
    assert anchor.display_status == "orphaned"
    annotation_services.resolve_annotation(safety, actor=board, response="Clarified")
    assert not Annotation.objects.open_blocking().exists()
    assert AnnotationAnchor.objects.get(annotation=safety).display_status == "resolved"


def test_overdue_is_a_past_due_date(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    assignment = Assignment.objects.get(article=article)
    assert assignment.is_overdue is False
    assignment.due = datetime.date.today() - datetime.timedelta(days=1)
    assert assignment.is_overdue is True
