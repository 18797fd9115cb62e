import pytest

from articles.models import Article, ArticleState
from editorial.services import workflow
from tests.annotations.helpers import BODY
from tests.factories import make_user, reviewed_article


@pytest.fixture
def outsider(db):
    """A board member who is not assigned to the article."""
    return make_user("board", username="board_outsider")


@pytest.fixture
def article(author, editor, board, board2):
    """Under review, `board` and `board2` assigned and declared unconflicted."""
    return reviewed_article(author, editor, [board, board2], body=BODY)


@pytest.fixture
def build(author, editor, board, board2):
    """`build(state)`: the article in that state, both board members assigned; draft is reached by revising."""

    def _build(state: str) -> Article:
        if state == ArticleState.DRAFT:
            made = reviewed_article(author, editor, [board, board2], state=ArticleState.CHANGES_REQUESTED, body=BODY)
            workflow.revise_article(made, actor=author)
        else:
            made = reviewed_article(author, editor, [board, board2], state=state, body=BODY)
        return Article.objects.get(pk=made.pk)

    return _build
