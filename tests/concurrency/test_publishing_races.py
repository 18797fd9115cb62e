"""Racing publications on PostgreSQL: one request per revision, one version however often a task runs."""

import pytest
from django.contrib.auth import get_user_model

from articles.models import Article, PublishedVersion, PublishRequest
from editorial.services import publishing
from tests.concurrency.test_postgres_races import outcomes
from tests.concurrency.threads import run_in_threads
from tests.factories import make_user, reviewed_article

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_editors_publishing_the_same_revision_at_once_make_one_version():
    author, board = make_user("author", username="author"), make_user("board", username="board1")
    editors = [make_user("editor", username=f"editor{i}") for i in range(4)]
    article = reviewed_article(author, editors[0], [board], state="approved")

    def publish(i: int):
        editor = get_user_model().objects.get(username=f"editor{i}")
        return publishing.request_publication(Article.objects.get(pk=article.pk), actor=editor)

    wins, conflicts = outcomes(run_in_threads(4, publish))
    assert len(wins) == 1 and len(conflicts) == 3
    assert {c.code for c in conflicts} <= {"already_queued", "already_live"}
    assert PublishRequest.objects.count() == 1
    assert list(PublishedVersion.objects.values_list("number", flat=True)) == [1]


def test_racing_and_redelivered_runs_publish_a_revision_once():
    author, editor, board = (make_user("author", username="author"), make_user("editor", username="editor"),
                             make_user("board", username="board1"))  # fmt: skip
    article = reviewed_article(author, editor, [board], state="approved")
    revision = article.current_revision
    # Requests made directly (as a redelivered or re-run task would find them), all for the same article.
    requests = [PublishRequest.objects.create(article=article, revision=revision, requested_by=editor,
                                              status="queued") for _ in range(6)]  # fmt: skip

    def run(i: int):
        return publishing.run_publication(requests[i % 6].pk)  # each request run twice, concurrently

    results = run_in_threads(12, run)
    assert not [r for r in results if isinstance(r, BaseException)], results
    numbers = sorted(PublishedVersion.objects.values_list("number", flat=True))
    # The first run publishes v1; the others find that revision already live and are refused, once each.
    assert numbers == [1]
    assert PublishRequest.objects.filter(status="done").count() == 1
    assert PublishRequest.objects.filter(status="refused").count() == 5
