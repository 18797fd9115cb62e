"""Fast public pages: cached HTML, ETag / Last-Modified with 304 on revalidation, and a fixed number of
queries whatever the number of versions and references."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article, PublishedVersion
from editorial.services import publishing, workflow
from editorial.services.publishing import html_cache_key
from tests.factories import PASSWORD, UserFactory, reviewed_article, sign_decision

from .helpers import citing_body, new_version, page_url, references, stepper_status

pytestmark = pytest.mark.django_db

# Measured (SQLite and PostgreSQL): 8 queries for the full page of an approved version with the HTML
# cached (fingerprint 1, version 1, review status 2, approval and its decisions 2, references 1,
# versions 1), 9 with the HTML cache cold, 1 for a 304. Bounds leave room for one more.
MAX_PAGE_QUERIES = 9
MAX_COLD_PAGE_QUERIES = 10
MAX_304_QUERIES = 1


def fresh(article) -> Article:
    return Article.objects.get(pk=article.pk)


def count(client, path: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    return len(ctx.captured_queries), response


def test_etag_and_last_modified_then_304(client, approved_live, django_assert_max_num_queries):
    for path in (page_url(approved_live), page_url(approved_live, 1)):
        response = client.get(path)
        assert response.status_code == 200
        etag, last_modified = response.headers["ETag"], response.headers["Last-Modified"]
        assert etag.startswith('"') and etag.endswith('"')
        assert "no-cache" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]
        with django_assert_max_num_queries(MAX_304_QUERIES):
            again = client.get(path, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag
        assert client.get(path, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
        assert client.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_etag_changes_with_review_status(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="submitted", publication_policy="immediate"))
    path = page_url(article)
    submitted = client.get(path).headers["ETag"]
    workflow.start_review(fresh(article), actor=editor)
    under_review = client.get(path, HTTP_IF_NONE_MATCH=submitted)
    assert under_review.status_code == 200 and under_review.headers["ETag"] != submitted
    sign_decision(fresh(article), verdict="approve", actor=board, password=PASSWORD)
    approved = client.get(path, HTTP_IF_NONE_MATCH=under_review.headers["ETag"])
    assert approved.status_code == 200 and approved.headers["ETag"] != under_review.headers["ETag"]
    assert stepper_status(approved.content.decode()) == "approved"


def test_etag_changes_with_the_live_version_and_retraction(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved", publication_policy="immediate"))
    live_etag = client.get(page_url(article)).headers["ETag"]
    v1_etag = client.get(page_url(article, 1)).headers["ETag"]
    article = publish(
        new_version(article, author=author, body="New [1].", references=references(1), change_summary="v2")
    )
    response = client.get(page_url(article), HTTP_IF_NONE_MATCH=live_etag)
    assert response.status_code == 200 and response.headers["ETag"] != live_etag
    # v1's page now says it is an earlier version: its ETag changed too.
    response = client.get(page_url(article, 1), HTTP_IF_NONE_MATCH=v1_etag)
    assert response.status_code == 200 and "an earlier version" in response.content.decode()
    live_etag = client.get(page_url(article)).headers["ETag"]
    publishing.retract_live_version(fresh(article), actor=editor, reason="Wrong dose")
    response = client.get(page_url(article), HTTP_IF_NONE_MATCH=live_etag)
    assert response.status_code == 410


def test_etag_changes_with_the_audience_and_the_summary_is_the_published_one(client, author, editor, approved_live):
    from editorial.exceptions import StateConflict
    from editorial.services import articles as article_services
    from editorial.services import workflow

    path = page_url(approved_live)
    etag = client.get(path).headers["ETag"]
    client.cookies["audience"] = "patient"
    patient = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert patient.status_code == 200 and patient.headers["ETag"] != etag
    # Readers see the summary the board reviewed: it cannot change while the article is approved...
    with pytest.raises(StateConflict):
        article_services.edit_article(fresh(approved_live), actor=editor, plain_language_summary="Unreviewed.")
    # ...and a draft's new summary stays off the live page until a version publishes it.
    workflow.revise_article(fresh(approved_live), actor=editor)
    article_services.edit_article(fresh(approved_live), actor=editor, plain_language_summary="Unreviewed words.")
    response = client.get(path, HTTP_IF_NONE_MATCH=patient.headers["ETag"])
    assert "Unreviewed words." not in response.content.decode()


@pytest.mark.parametrize("role", [None, "editor"])
def test_signed_in_users_are_not_answered_304(client, approved_live, role):
    """Their header is their own (desk links, unread count): the page is always rendered afresh."""
    client.force_login(UserFactory(role=role))
    response = client.get(page_url(approved_live))
    assert response.status_code == 200 and "ETag" not in response.headers
    assert client.get(page_url(approved_live), HTTP_IF_NONE_MATCH='"anything"').status_code == 200


def test_page_uses_the_cached_html(client, approved_live):
    version = approved_live.live_version
    assert cache.get(html_cache_key(version.pk)) == version.html
    cache.set(html_cache_key(version.pk), "<p>From the cache</p>", None)
    assert "<p>From the cache</p>" in client.get(page_url(approved_live)).content.decode()
    cache.delete(html_cache_key(version.pk))
    html = client.get(page_url(approved_live)).content.decode()
    assert "<h2>From the Guidelines</h2>" in html
    assert cache.get(html_cache_key(version.pk)) == version.html  # filled again


def _grown(author, editor, board, publish, n_refs: int, n_versions: int) -> Article:
    article = reviewed_article(
        author,
        editor,
        [board],
        state="approved",
        publication_policy="immediate",
        body=citing_body(n_refs),
        references=references(n_refs),
    )
    article = publish(article)
    for n in range(2, n_versions + 1):
        article = new_version(
            article, author=author, body=citing_body(n_refs), references=references(n_refs), change_summary=f"v{n}"
        )
        workflow.start_review(article, actor=editor)
        sign_decision(fresh(article), verdict="approve", actor=board, password=PASSWORD)
        article = publish(fresh(article))
    assert PublishedVersion.objects.filter(article=article).count() == n_versions
    return article


def test_query_count_does_not_grow_with_versions_and_references(client, author, editor, board, publish):
    small = _grown(author, editor, board, publish, n_refs=2, n_versions=1)
    large = _grown(author, editor, board, publish, n_refs=14, n_versions=5)
    counts = {}
    for name, article in (("small", small), ("large", large)):
        for path in (page_url(article), page_url(article, 1)):
            queries, response = count(client, path)
            assert response.status_code == 200
            counts[(name, path.count("/v/"))] = queries
    print("public page queries:", counts)  # shown with -s
    assert counts[("small", 0)] == counts[("large", 0)] <= MAX_PAGE_QUERIES, counts
    assert counts[("small", 1)] == counts[("large", 1)] <= MAX_PAGE_QUERIES, counts
    html = client.get(page_url(large)).content.decode()
    assert html.count('class="reference"') == 14 and html.count("/v/") >= 5
    cache.clear()
    queries, _ = count(client, page_url(large))
    print("public page queries, HTML cache cold:", queries)
    assert queries <= MAX_COLD_PAGE_QUERIES, queries


def test_index_query_count_does_not_grow(client, author, editor, board, publish):
    publish(reviewed_article(author, editor, [board], state="approved"))
    small, _ = count(client, "/articles/")
    for _ in range(4):
        publish(reviewed_article(author, editor, [board], state="approved"))
    large, response = count(client, "/articles/")
    assert response.content.decode().count('<li class="card">') == 5
    assert small == large <= 3, (small, large)
