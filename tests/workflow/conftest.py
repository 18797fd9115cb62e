import pytest

from tests.workflow.helpers import article_in


@pytest.fixture
def build(author, editor, board):
    """`build(state, **fields)`: an article in that state, `board` assigned and declared unconflicted."""

    def _build(state, **fields):
        return article_in(state, author=author, editor=editor, reviewer=board, **fields)

    return _build
