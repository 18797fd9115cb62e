"""Published articles for the public-page tests, made through the services (tasks run in-process)."""

from __future__ import annotations

import pytest

from articles.models import Article
from editorial.services import publishing
from tests.factories import reviewed_article


@pytest.fixture
def publish(editor, django_capture_on_commit_callbacks):
    """`publish(article)` asks for the next version and runs the publishing task; returns the fresh article."""

    def run(article, **kwargs) -> Article:
        with django_capture_on_commit_callbacks(execute=True):
            publishing.request_publication(article, actor=editor, **kwargs)
        article = Article.objects.select_related("live_version").get(pk=article.pk)
        assert article.live_version is not None, "the publishing task did not make a version"
        return article

    return run


@pytest.fixture
def approved_live(author, editor, board, publish) -> Article:
    """An approved article with v1 live."""
    return publish(reviewed_article(author, editor, [board], state="approved"))


@pytest.fixture
def pending_live(author, editor, board, publish) -> Article:
    """An article published before review (policy: immediately, marked pending), now under review."""
    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate")
    return publish(article)
