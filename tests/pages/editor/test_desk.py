"""The editor desk: the pipeline by state, the review backlog and overdue assignments, re-reviews due."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleState
from reviewers.models import Assignment
from tests.factories import make_user, reviewed_article, sign_decision
from tests.pages.editor.helpers import count_queries, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("editor-desk")


def column(html: str, state: str) -> str:
    start = html.index(f'id="column-{state}"')
    return html[start : html.index("</section>", start)]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_other_roles_are_forbidden(role):
    assert signed_in(make_user(role)).get(URL).status_code == 403


def test_pipeline_by_state(author, editor, board, publish):
    submitted = reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED, title="Is aspirin safe?")
    reviewing = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW, title="Do beta blockers?")
    changes = reviewed_article(author, editor, [board], state=ArticleState.CHANGES_REQUESTED, title="Is salt bad?")
    approved = reviewed_article(author, editor, [board], state=ArticleState.APPROVED, title="Do statins help?")
    live = publish(
        reviewed_article(author, editor, [board], state=ArticleState.APPROVED, title="Is coffee fine?"), editor
    )
    draft = reviewed_article(author, editor, [board], state=ArticleState.DRAFT, title="Private draft")
    html = signed_in(editor).get(URL).content.decode()
    assert "Do beta blockers?" in column(html, "under_review")
    assert "Is aspirin safe?" in column(html, "submitted")
    assert "Is salt bad?" in column(html, "changes_requested")
    assert "Do statins help?" in column(html, "approved")
    assert "Is coffee fine?" in column(html, "live") and "live v1" in column(html, "live")
    assert "Private draft" not in html
    for article in (submitted, reviewing, changes, approved, live):
        assert reverse("editor-article", args=[article.pk]) in html
    assert draft.pk  # drafts stay on the author's desk


def test_scheduled_publication_is_in_the_live_column(author, editor, board, publish):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED, title="Scheduled one")
    publish(article, editor, publish_at=timezone.now() + datetime.timedelta(days=2))
    assert "scheduled r1" in column(signed_in(editor).get(URL).content.decode(), "live")


def test_backlog_and_overdue_counts(author, editor, board, board2):
    article = reviewed_article(author, editor, [board, board2], state=ArticleState.UNDER_REVIEW, title="Late one")
    Assignment.objects.filter(article=article, reviewer=board).update(due=timezone.now().date() - datetime.timedelta(1))
    response = signed_in(editor).get(URL)
    html = response.content.decode()
    assert 'id="backlog-count">2<' in html
    assert 'id="overdue-count">1<' in html
    overdue = html[html.index('id="overdue-assignments"') :]
    assert "Late one" in overdue and "board1" in overdue and "board2" not in overdue.split("</table>")[0]


def test_decided_assignment_is_not_backlog(author, editor, board, board2):
    from tests.factories import PASSWORD

    article = reviewed_article(author, editor, [board, board2], state=ArticleState.UNDER_REVIEW, quorum=2)
    Assignment.objects.filter(article=article).update(due=timezone.now().date() - datetime.timedelta(1))
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    html = signed_in(editor).get(URL).content.decode()
    assert 'id="backlog-count">1<' in html and 'id="overdue-count">1<' in html


def test_rereview_due(author, editor, board):
    due = reviewed_article(author, editor, [board], state=ArticleState.APPROVED, title="Due for review")
    later = reviewed_article(author, editor, [board], state=ArticleState.APPROVED, title="Reviewed recently")
    Article.objects.filter(pk=due.pk).update(next_review_due=timezone.now().date() - datetime.timedelta(days=3))
    html = signed_in(editor).get(URL).content.decode()
    section = html[html.index('id="rereview"') :]
    assert "Due for review" in section
    assert "Reviewed recently" not in section  # a year away
    assert later.next_review_due > timezone.now().date()


def build(author, editor, board, n: int) -> None:
    for i in range(n):
        for state in (ArticleState.SUBMITTED, ArticleState.UNDER_REVIEW, ArticleState.APPROVED):
            article = reviewed_article(author, editor, [board], state=state, title=f"Article {state} {i}")
            Assignment.objects.filter(article=article).update(due=timezone.now().date() - datetime.timedelta(1))
            Article.objects.filter(pk=article.pk, state="approved").update(next_review_due=timezone.now().date())


def test_query_count_does_not_grow_with_articles(author, editor, board, django_assert_max_num_queries):
    client = signed_in(editor)
    build(author, editor, board, 1)
    small = count_queries(lambda: client.get(URL))
    build(author, editor, board, 4)
    with django_assert_max_num_queries(small):
        response = client.get(URL)
    assert column(response.content.decode(), "under_review").count("Article under_review") == 5
