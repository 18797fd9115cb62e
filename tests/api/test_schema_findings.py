"""What schemathesis found (tests/security/test_fuzz_api.py), each held by a plain test: the schema says what the API
does (statuses, content types, bodies, parameters), errors are API.md's JSON body, and no input is a 500."""

import json

import pytest
from axes.models import AccessAttempt

from articles.models import ArticleState
from editorial.moments import parse_moment
from tests.factories import reviewed_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and isinstance(body["code"], str), body
    return body


# --- error bodies --------------------------------------------------------------------------------------------


def test_errors_are_json_when_csv_was_asked_for(api, author, editor):
    body = assert_json_error(api.as_user(author).get("/api/v1/audit/events/?format=csv"), 403)
    assert body["code"] == "permission_denied"
    assert_json_error(api.as_user(editor).get("/api/v1/audit/events/?format=csv&since=yesterday"), 400)
    response = api.get("/api/v1/audit/events/?format=csv")  # the export itself is still CSV
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_errors_are_json_when_json_ld_was_asked_for(api, author, editor, board):
    article = reviewed_article(author, editor, [board])
    api.as_user(editor)
    body = assert_json_error(api.get(f"{ARTICLES}{article.pk}/annotations/999999/?format=jsonld"), 404)
    assert body["code"] == "not_found"
    assert_json_error(api.get(f"{ARTICLES}999999/annotations/1/?format=jsonld"), 404)


# --- no 500 --------------------------------------------------------------------------------------------------


def test_options_on_assignments_is_not_a_500(api, author, editor):
    """OPTIONS describes POST with the list's serializer, whose context needed the article loaded by the list."""
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    api.as_user(editor)
    response = api.options(f"{ARTICLES}{article.pk}/assignments/")
    assert response.status_code == 200, response.content
    assert "POST" in response.json()["actions"]
    assert_json_error(api.options(f"{ARTICLES}999999/assignments/"), 404)


def test_audit_filter_with_a_zone_offset_postgresql_refuses(api, editor):
    """+16:23 is a zone offset Python reads and PostgreSQL refuses: read in UTC, it is an ordinary moment."""
    api.as_user(editor)
    response = api.get("/api/v1/audit/events/?until=2030-06-10T15:26:14%2B16:23")
    assert response.status_code == 200, response.content
    body = assert_json_error(api.get("/api/v1/audit/events/?since=0001-01-01T00:00:00%2B01:00"), 400)
    assert body["errors"] == {"since": ["Out of range."]}


def test_parse_moment_answers_in_utc():
    moment = parse_moment("2030-06-10T15:26:14+16:23", field="until")
    assert moment.utcoffset().total_seconds() == 0
    assert moment.isoformat() == "2030-06-09T23:03:14+00:00"


def test_failed_sign_in_without_a_client_address_is_400(api, author):
    """No REMOTE_ADDR (a UNIX socket, an in-process WSGI client): axes stored "unknown" in an IP address column,
    which PostgreSQL refuses (a 500)."""
    response = api.post(
        "/api/v1/auth/token/", {"username": "author", "password": "wrong"}, format="json", REMOTE_ADDR=""
    )
    assert_json_error(response, 400)
    assert AccessAttempt.objects.get(username="author").ip_address is None


def test_failed_sign_in_with_a_malformed_forwarded_address_is_400(api, author, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "author", "password": "wrong"},
        format="json",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )
    assert_json_error(response, 400)
    assert AccessAttempt.objects.get(username="author").ip_address is None
