"""Published articles for the public-page tests, made through the services (tasks run in-process)."""

from __future__ import annotations

import pytest

from articles.models import Article
from tests.factories import reviewed_article


@pytest.fixture
def approved_live(author, editor, board, publish) -> Article:
    """An approved article with v1 live."""
    return publish(reviewed_article(author, editor, [board], state="approved"))


@pytest.fixture
def pending_live(author, editor, board, publish) -> Article:
    """An article published before review (policy: immediately, marked pending), now under review."""
    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate")
    return publish(article)
