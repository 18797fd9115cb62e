"""Migration 0004 moves the plain-language summary onto the revisions, keeping what readers were shown."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True)]

BEFORE = [("articles", "0003_version_summary"), ("reviewers", "0005_original_quote_and_positions_revision")]
AFTER = [("articles", "0004_summary_and_source_in_the_revision")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0003():
    from editorial import protection

    protection.remove(connection)  # migrating back through 0007 drops them anyway; written data is test data
    apps = migrate(BEFORE)
    yield apps
    migrate(executor_leaf_nodes())
    protection.install(connection)


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_each_revision_gets_the_summary_as_it_stands(at_0003):
    apps = at_0003
    User = apps.get_model("auth", "User")
    Article = apps.get_model("articles", "Article")
    Revision = apps.get_model("articles", "Revision")
    PublishRequest = apps.get_model("articles", "PublishRequest")
    PublishedVersion = apps.get_model("articles", "PublishedVersion")
    user = User.objects.create(username="writer")
    article = Article.objects.create(slug="a", created_by=user, plain_language_summary="Now")
    fields = {"article": article, "body": "b", "text": "b", "author": user, "content_hash": "h" * 64}
    first = Revision.objects.create(number=1, title="t", **fields)
    second = Revision.objects.create(number=2, title="t", **fields)
    request = PublishRequest.objects.create(article=article, revision=first, requested_by=user, status="done")
    PublishedVersion.objects.create(
        article=article, number=1, revision=first, request=request, published_by=user, published_at="2025-01-01T00:00Z",
        html="", plain_language_summary="What readers saw",
    )  # fmt: skip

    apps = migrate(AFTER)
    Revision = apps.get_model("articles", "Revision")
    migrated = {r.number: r for r in Revision.objects.filter(article_id=article.pk)}
    assert migrated[1].plain_language_summary == "What readers saw"  # published: as it was published with
    assert migrated[2].plain_language_summary == "Now"  # never published: the article's summary as it stands
    assert {r.hash_version for r in migrated.values()} == {1}  # their hashes never covered a summary
    assert migrated[1].content_hash == "h" * 64 and migrated[1].pk == first.pk and migrated[2].pk == second.pk
