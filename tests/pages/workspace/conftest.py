"""Fixtures for the workspace, author and review pages: signed-in clients and articles in each state."""

from __future__ import annotations

import pytest
from django.test import Client

from articles.models import Article, ArticleState
from editorial.services import workflow
from tests.factories import make_user, reviewed_article

# Paragraphs with distinct sentences, so a quote is found once; one non-BMP character to count code points.
BODY = (
    "## From the Guidelines\n\n"
    "Statins lower LDL cholesterol [1].\n\n"
    "Muscle aches 💊 are the most commonly reported side effect of treatment.\n\n"
    "## From the Research\n\n"
    "A trial found fewer events [2]."
)


@pytest.fixture
def signed_in():
    """`signed_in(user)`: a test client with that user's session."""

    def _client(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return _client


@pytest.fixture
def outsider(db):
    """A board member not assigned to the article."""
    return make_user("board", username="board_outsider")


@pytest.fixture
def build(author, editor, board, board2):
    """`build(state)`: an article in that state with `board` and `board2` assigned and declared unconflicted."""

    def _build(state: str = ArticleState.UNDER_REVIEW, **kwargs) -> Article:
        kwargs.setdefault("body", BODY)
        if state == "revised_draft":
            made = reviewed_article(author, editor, [board, board2], state=ArticleState.CHANGES_REQUESTED, **kwargs)
            workflow.revise_article(made, actor=author)
        else:
            made = reviewed_article(author, editor, [board, board2], state=state, **kwargs)
        return Article.objects.select_related("current_revision").get(pk=made.pk)

    return _build


@pytest.fixture
def article(build):
    return build(ArticleState.UNDER_REVIEW)
