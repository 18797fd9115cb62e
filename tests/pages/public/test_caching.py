"""Public pages a CDN can serve (API.md "Public pages"): the same bytes for every anonymous reader, no cookie,
`Cache-Control: public`, an ETag any client revalidates (304); no query on a cache hit, and a fixed number
when rendered afresh, whatever the number of versions and references; every change shows at once."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import Article, PublishedVersion
from editorial import page_versions, tracked_keys
from editorial.redis_cache import RedisCache
from editorial.services import publishing, workflow
from editorial.web.public import caching
from tests.factories import PASSWORD, UserFactory, reviewed_article, sign_decision

from .helpers import citing_body, new_version, page_url, references, stepper_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["configured cache", "redis"])
def page_cache(request, settings):
    """Every test here with the test settings' cache, and again with Redis, where each process holds the page
    tokens and Redis reports their changes (editorial.tracked_keys)."""
    if request.param == "configured cache":
        yield None
        return
    url = request.getfixturevalue("redis_test_url")
    prefix = f"test-pages-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {"BACKEND": "editorial.redis_cache.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    tracked = page_versions.tracked()
    assert tracked is not None and tracked_keys.wait_until_live(tracked)
    yield tracked
    tracked_keys.reset()
    client = redis.Redis.from_url(url)  # a shared Redis: only this test's keys go, never FLUSHDB
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


# Measured (SQLite and PostgreSQL): no query for a page served from the cache, and a fixed number for a page
# rendered afresh, whatever the number of versions and references (see the test below).
MAX_COLD_PAGE_QUERIES = 5
HEADERS_ONLY_ONCE = ("Set-Cookie",)


def fresh(article) -> Article:
    return Article.objects.get(pk=article.pk)


def count(client, path: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    return len(ctx.captured_queries), response


def max_age(response) -> int:
    directives = dict(
        part.strip().partition("=")[::2] for part in response.headers["Cache-Control"].split(",") if part.strip()
    )
    return int(directives["max-age"])


def test_the_same_bytes_for_every_anonymous_reader(approved_live):
    """API.md "Public pages": a shared cache or CDN may serve the page: no cookie, public, short max-age."""
    first, second = Client(), Client()
    second.cookies["audience"] = "patient"  # a reader's own cookies change nothing
    second.cookies["tracking"] = "x"
    for path in (page_url(approved_live), page_url(approved_live, 1), "/articles/"):
        one, two = first.get(path), second.get(path)
        assert one.status_code == two.status_code == 200
        assert one.content == two.content, path
        assert not one.cookies and not two.cookies and "Set-Cookie" not in one.headers
        cache_control = one.headers["Cache-Control"]
        assert (
            "public" in cache_control and "stale-while-revalidate" in cache_control and "private" not in cache_control
        )
        assert 0 < max_age(one) <= 300
        html = one.content.decode()
        assert "csrfmiddlewaretoken" not in html and "X-CSRFToken" not in html


def test_a_hit_takes_no_query(client, approved_live, django_assert_num_queries):
    for path in (page_url(approved_live), page_url(approved_live, 1), "/articles/", page_url(approved_live) + "?x=1"):
        client.get(path)  # the first reader renders it
        with django_assert_num_queries(0):
            response = client.get(path)
        assert response.status_code == 200 and response.headers["ETag"]


def test_another_clients_etag_is_answered_304_without_a_query(approved_live, django_assert_num_queries):
    etag = Client().get(page_url(approved_live)).headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    with django_assert_num_queries(0):
        again = Client().get(page_url(approved_live), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert Client().get(page_url(approved_live), HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_decision_shows_at_once(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="submitted", publication_policy="immediate"))
    path = page_url(article)
    submitted = client.get(path).headers["ETag"]
    workflow.start_review(fresh(article), actor=editor)
    under_review = client.get(path, HTTP_IF_NONE_MATCH=submitted)
    assert under_review.status_code == 200 and under_review.headers["ETag"] != submitted
    assert stepper_status(under_review.content.decode()) == "under_review"
    sign_decision(fresh(article), verdict="approve", actor=board, password=PASSWORD)
    approved = client.get(path, HTTP_IF_NONE_MATCH=under_review.headers["ETag"])
    assert approved.status_code == 200 and approved.headers["ETag"] != under_review.headers["ETag"]
    assert stepper_status(approved.content.decode()) == "approved"


def test_a_publication_and_a_retraction_show_at_once(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved", publication_policy="immediate"))
    live_etag = client.get(page_url(article)).headers["ETag"]
    v1_etag = client.get(page_url(article, 1)).headers["ETag"]
    index = client.get("/articles/").content.decode()
    article = publish(
        new_version(article, author=author, body="New [1].", references=references(1), change_summary="v2")
    )
    response = client.get(page_url(article), HTTP_IF_NONE_MATCH=live_etag)
    assert response.status_code == 200 and response.headers["ETag"] != live_etag
    # v1's page now says it is an earlier version: it is rendered afresh too.
    response = client.get(page_url(article, 1), HTTP_IF_NONE_MATCH=v1_etag)
    assert response.status_code == 200 and "an earlier version" in response.content.decode()
    assert client.get("/articles/").content.decode() != index
    live_etag = client.get(page_url(article)).headers["ETag"]
    publishing.retract_live_version(fresh(article), actor=editor, reason="Wrong dose")
    response = client.get(page_url(article), HTTP_IF_NONE_MATCH=live_etag)
    assert response.status_code == 410


def test_with_redis_a_hit_makes_no_round_trip(client, approved_live, page_cache, monkeypatch):
    if page_cache is None:
        pytest.skip("the token is held in the process only with Redis")
    path = page_url(approved_live)
    client.get(path)
    client.get(path)  # rendered, then the token read once and held
    reads = []
    real = caching.cache
    monkeypatch.setattr(
        caching,
        "cache",
        type("Counted", (), {"__getattr__": lambda _, name: reads.append(name) or getattr(real, name)})(),
    )
    response = client.get(path)
    assert response.status_code == 200 and reads == []


def test_with_redis_a_change_by_another_process_shows_at_once(client, approved_live, page_cache, settings):
    """Another web process or a worker replaced the token: Redis reports it, and this process re-renders."""
    if page_cache is None:
        pytest.skip("the token is held in the process only with Redis")
    path = page_url(approved_live)
    client.get(path)
    etag = client.get(path).headers["ETag"]
    other_process = RedisCache(page_cache.url, {"KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]})
    other_process.set(page_versions.token_key(approved_live.slug), "replaced-elsewhere", None)
    deadline = time.monotonic() + 5
    while page_cache.known(page_versions.token_key(approved_live.slug)) is not None and time.monotonic() < deadline:
        time.sleep(0.005)
    response = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.headers["ETag"] != etag


def test_a_change_committed_while_a_page_renders_is_not_served_stale(client, approved_live, editor):
    """The token is read before the view reads the database, and replaced again after the commit."""
    path = page_url(approved_live)
    client.get(path)
    token_before = page_versions.token(approved_live.slug)
    publishing.retract_live_version(fresh(approved_live), actor=editor, reason="Wrong dose")
    assert page_versions.token(approved_live.slug) != token_before
    assert client.get(path).status_code == 410


def test_the_summary_is_the_published_one(client, author, editor, approved_live):
    from editorial.exceptions import StateConflict
    from editorial.services import articles as article_services

    path = page_url(approved_live)
    with pytest.raises(StateConflict):
        article_services.edit_article(fresh(approved_live), actor=editor, plain_language_summary="Unreviewed.")
    workflow.revise_article(fresh(approved_live), actor=editor)
    article_services.edit_article(fresh(approved_live), actor=editor, plain_language_summary="Unreviewed words.")
    assert "Unreviewed words." not in client.get(path + "?audience=patient").content.decode()


@pytest.mark.parametrize("role", [None, "editor"])
def test_signed_in_users_get_their_own_uncached_page(client, approved_live, role):
    """Their header is their own (desk links, unread count): never the shared copy, never stored."""
    Client().get(page_url(approved_live))  # an anonymous reader fills the cache
    client.force_login(UserFactory(role=role))
    response = client.get(page_url(approved_live))
    assert response.status_code == 200 and "ETag" not in response.headers
    assert "private" in response.headers["Cache-Control"] and "no-cache" in response.headers["Cache-Control"]
    assert "Sign out" in response.content.decode()
    assert "Sign out" not in Client().get(page_url(approved_live)).content.decode()


def test_the_body_is_the_html_rendered_when_the_version_was_published(client, approved_live):
    """Sanitised once, at publication: the page shows the stored HTML, not a new render of the Markdown."""
    PublishedVersion.objects.filter(pk=approved_live.live_version_id).update(html="<p>As published</p>")
    assert "<p>As published</p>" in client.get(page_url(approved_live)).content.decode()


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
    cache.clear()  # rendered afresh: the count of a page made from the database
    for name, article in (("small", small), ("large", large)):
        for path in (page_url(article), page_url(article, 1)):
            queries, response = count(client, path)
            assert response.status_code == 200
            counts[(name, path.count("/v/"))] = queries
    print("public page queries, rendered afresh:", counts)  # shown with -s
    assert counts[("small", 0)] == counts[("large", 0)] <= MAX_COLD_PAGE_QUERIES, counts
    assert counts[("small", 1)] == counts[("large", 1)] <= MAX_COLD_PAGE_QUERIES, counts
    html = client.get(page_url(large)).content.decode()
    assert html.count('class="reference"') == 14 and html.count("/v/") >= 5


def test_index_query_count_does_not_grow(client, author, editor, board, publish):
    publish(reviewed_article(author, editor, [board], state="approved"))
    small, _ = count(client, "/articles/")
    for _ in range(4):
        publish(reviewed_article(author, editor, [board], state="approved"))
    cache.clear()
    large, response = count(client, "/articles/")
    assert response.content.decode().count('<li class="card">') == 5
    assert small == large <= 3, (small, large)
