"""API.md "Conventions": token auth, the one error body, the size limits (413 right after 401), the schema."""

import json

import pytest
from django.core.cache import cache

from articles.models import Article, ArticleState, Revision
from editorial.models import AuditEvent
from tests.factories import BODY, PASSWORD, REFERENCES, make_article, reviewed_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is API.md's JSON error body with this status (and code, when given)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    allowed = {"detail", "code", "errors"} if status == 400 else {"detail", "code"}
    assert {"detail", "code"} <= set(body) <= allowed | {"missing", "uncited", "field", "ids"}, body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    assert isinstance(body["code"], str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def new_article_payload(**overrides) -> dict:
    return {"title": "Do statins work?", "body": BODY, "references": REFERENCES, **overrides}


# --- 1. Auth ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the login throttle counts in the cache
    yield
    cache.clear()


def test_token_with_right_password(api, author):
    response = api.post("/api/v1/auth/token/", {"username": "author", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expiry"} and len(body["token"]) >= 20
    assert body["expiry"].endswith("Z")  # the token's life ends (UTC)
    # ...and the token signs the client in.
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get(ARTICLES).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "author", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "author"},
    ],
)
def test_token_with_wrong_credentials_is_400(api, author, payload):
    body = assert_error(api.post("/api/v1/auth/token/", payload, format="json"), 400)
    assert "token" not in body


def test_no_token_is_401_json(api, author):
    assert_error(api.get(ARTICLES), 401, "not_authenticated")
    assert_error(api.post(ARTICLES, new_article_payload(), format="json"), 401)
    assert not Article.objects.exists()


def test_bad_token_is_401_json(api, author):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert_error(api.get(ARTICLES), 401, "authentication_failed")


def test_inactive_users_token_is_401(api, author):
    api.as_user(author)
    author.is_active = False
    author.save()
    assert_error(api.get(ARTICLES), 401)


# --- 2. Error format -----------------------------------------------------------------------------


def test_every_error_status_has_the_json_body(api, author, other_author, editor):
    article = make_article(author)
    url = f"{ARTICLES}{article.pk}/"

    assert_error(api.get(url), 401)
    api.as_user(author)
    body = assert_error(api.post(ARTICLES, {"title": "No body"}, format="json"), 400, "invalid")
    assert set(body["errors"]) >= {"body", "references"}
    assert_error(api.patch(url, {"quorum": 3}, format="json"), 403)
    assert_error(api.get(f"{ARTICLES}{article.pk + 1000}/"), 404, "not_found")
    api.post(url + "transitions/submit/")
    assert_error(api.patch(url, {"body": "Changed [1] [2]."}, format="json"), 409, "invalid_transition")
    assert_error(api.post(ARTICLES, new_article_payload(body="x" * 200_001), format="json"), 413, "too_large")
    api.as_user(other_author)
    assert_error(api.get(url), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/articles/0.5/",
        "/api/v1/articles/abc/",
        "/api/v1/articles/-1/",
        "/api/v1/articles/1/revisions/x/",
        "/api/v1/nothing-here/",
    ],
)
def test_unknown_paths_are_json_404(api, author, path):
    api.as_user(author)
    assert_error(api.get(path), 404, "not_found")


def test_unknown_transition_is_404_and_changes_nothing(api, author):
    article = make_article(author)
    events = AuditEvent.objects.count()
    api.as_user(author)
    assert_error(api.post(f"{ARTICLES}{article.pk}/transitions/publish_now/"), 404)
    assert_error(api.post(f"{ARTICLES}{article.pk}/transitions/__init__/"), 404)
    assert Article.objects.get(pk=article.pk).state == ArticleState.DRAFT
    assert AuditEvent.objects.count() == events


def test_unknown_transition_on_invisible_article_is_404(api, author, other_author):
    article = make_article(author)
    api.as_user(other_author)
    assert_error(api.post(f"{ARTICLES}{article.pk}/transitions/submit/"), 404)
    assert Article.objects.get(pk=article.pk).state == ArticleState.DRAFT


def test_transition_via_get_is_405_json(api, author):
    article = make_article(author)
    api.as_user(author)
    assert_error(api.get(f"{ARTICLES}{article.pk}/transitions/submit/"), 405)
    assert Article.objects.get(pk=article.pk).state == ArticleState.DRAFT


def test_malformed_json_is_400_json(api, author):
    api.as_user(author)
    response = api.generic("POST", ARTICLES, "{not json", content_type="application/json")
    assert_error(response, 400)
    assert not Article.objects.exists()


def test_concurrent_change_409_body(api, author):
    article = make_article(author)
    api.as_user(author)
    url = f"{ARTICLES}{article.pk}/"
    assert api.patch(url, {"title": "Second", "base_revision": 1}, format="json").status_code == 200
    assert_error(api.patch(url, {"title": "Third", "base_revision": 1}, format="json"), 409, "concurrent_change")


# --- 3. Limits ------------------------------------------------------------------------------------


def test_body_of_200_000_chars_is_accepted(api, author):
    api.as_user(author)
    body = ("Statins lower LDL [1] and events [2]. " * 6000)[:200_000]
    assert len(body) == 200_000
    response = api.post(ARTICLES, new_article_payload(body=body), format="json")
    assert response.status_code == 201, response.content[:300]


def test_body_over_200_000_chars_is_413_and_creates_nothing(api, author):
    api.as_user(author)
    events = AuditEvent.objects.count()
    body = assert_error(api.post(ARTICLES, new_article_payload(body="x" * 200_001), format="json"), 413, "too_large")
    assert "body" in body["detail"]
    assert not Article.objects.exists() and not Revision.objects.exists()
    assert AuditEvent.objects.count() == events


def test_body_over_limit_in_edit_is_413_and_makes_no_revision(api, author):
    article = make_article(author)
    api.as_user(author)
    assert_error(api.patch(f"{ARTICLES}{article.pk}/", {"body": "y" * 200_001}, format="json"), 413, "too_large")
    assert Revision.objects.filter(article=article).count() == 1


def test_citation_over_20_000_chars_is_413(api, author):
    api.as_user(author)
    refs = [REFERENCES[0], {**REFERENCES[1], "citation": "c" * 20_001}]
    assert_error(api.post(ARTICLES, new_article_payload(references=refs), format="json"), 413, "too_large")
    assert not Article.objects.exists()


def test_citation_of_20_000_chars_is_accepted(api, author):
    api.as_user(author)
    refs = [REFERENCES[0], {**REFERENCES[1], "citation": "c" * 20_000}]
    assert api.post(ARTICLES, new_article_payload(references=refs), format="json").status_code == 201


@pytest.mark.parametrize("field", ["title", "plain_language_summary", "change_summary"])
def test_other_text_fields_over_20_000_chars_are_413(api, author, field):
    article = make_article(author)
    api.as_user(author)
    assert_error(api.patch(f"{ARTICLES}{article.pk}/", {field: "t" * 20_001}, format="json"), 413, "too_large")
    assert Revision.objects.filter(article=article).count() == 1


def test_comment_over_20_000_chars_on_transition_is_413(api, author):
    article = make_article(author)
    api.as_user(author)
    response = api.post(f"{ARTICLES}{article.pk}/transitions/submit/", {"comment": "c" * 20_001}, format="json")
    assert_error(response, 413, "too_large")
    assert Article.objects.get(pk=article.pk).state == ArticleState.DRAFT


def _over_one_mib_payload() -> dict:
    # 60 references of 19,000 characters: every field within its limit, the request over 1 MiB.
    refs = [{"kind": "research", "citation": "r" * 19_000} for _ in range(60)]
    payload = new_article_payload(references=refs)
    assert len(json.dumps(payload).encode()) > 1024 * 1024
    return payload


def test_request_over_one_mib_is_413(api, author):
    api.as_user(author)
    body = assert_error(api.post(ARTICLES, _over_one_mib_payload(), format="json"), 413, "too_large")
    assert "1 MiB" in body["detail"]
    assert not Article.objects.exists()


def test_raw_request_over_one_mib_is_413_json(api, author):
    api.as_user(author)
    raw = b'{"title": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    assert_error(api.generic("POST", ARTICLES, raw, content_type="application/json"), 413, "too_large")
    assert not Article.objects.exists()


def test_anonymous_oversized_requests_are_401_not_413(api, author):
    assert_error(api.post(ARTICLES, _over_one_mib_payload(), format="json"), 401)
    assert_error(api.post(ARTICLES, new_article_payload(body="x" * 200_001), format="json"), 401)
    assert not Article.objects.exists()


def test_413_comes_before_404_and_403(api, author, other_author, auditor):
    """API.md: 413 comes right after 401."""
    article = make_article(author)
    api.as_user(other_author)  # may not see it
    assert_error(api.patch(f"{ARTICLES}{article.pk}/", {"body": "x" * 200_001}, format="json"), 413)
    api.as_user(auditor)  # may not create articles
    assert_error(api.post(ARTICLES, new_article_payload(body="x" * 200_001), format="json"), 413)


@pytest.mark.parametrize("missing", ["title", "body", "references"])
def test_missing_required_field_is_400_with_errors(api, author, missing):
    api.as_user(author)
    payload = new_article_payload()
    del payload[missing]
    body = assert_error(api.post(ARTICLES, payload, format="json"), 400, "invalid")
    assert missing in body["errors"] and isinstance(body["errors"][missing], list)
    assert not Article.objects.exists()


def test_missing_reference_kind_is_400(api, author):
    api.as_user(author)
    refs = [{"citation": "No kind"}]
    body = assert_error(api.post(ARTICLES, new_article_payload(references=refs), format="json"), 400)
    assert "references" in body["errors"]


def test_missing_password_on_decision_is_400(api, author, editor, board):
    article = reviewed_article(author, editor, [board])
    api.as_user(board)
    body = assert_error(api.post(f"{ARTICLES}{article.pk}/transitions/approve/", {}, format="json"), 400)
    assert "password" in body["errors"]
    assert Article.objects.get(pk=article.pk).state == ArticleState.UNDER_REVIEW


def test_unknown_reviewer_username_is_400(api, author, editor):
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    api.as_user(editor)
    assert_error(api.post(f"{ARTICLES}{article.pk}/assignments/", {"reviewer": "nobody"}, format="json"), 400)


# --- 8. Schema ------------------------------------------------------------------------------------


def test_schema_needs_no_sign_in(api):
    response = api.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"openapi" in response.content
    assert b"/api/v1/articles/" in response.content


def test_schema_as_json(api):
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/articles/{article_id}/revisions/{number}/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]
