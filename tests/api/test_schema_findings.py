"""What schemathesis found (tests/security/test_fuzz_api.py), each held by a plain test: the schema says what the API
does (statuses, content types, bodies, parameters), errors are API.md's JSON body, and no input is a 500."""

import json
import os

import jsonschema
import pytest
from axes.models import AccessAttempt
from django.core.management import call_command

from articles.models import ArticleState
from editorial.moments import parse_moment
from reviewers.models import Assignment, AssignmentStatus
from tests.factories import BODY, REFERENCES, make_article, reviewed_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"


def openapi(api) -> dict:
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def _json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        node = {"type": [node.pop("type"), "null"], **node} if "type" in node else {"anyOf": [node, {"type": "null"}]}
    return node


def conforms(schema: dict, instance, component: str) -> None:
    """`instance` is valid against the schema's component (jsonschema raises otherwise)."""
    components = _json_schema(schema["components"])
    jsonschema.validate(instance, {"$ref": f"#/components/schemas/{component}", "components": components})


def operation(schema: dict, method: str, path: str) -> dict:
    return schema["paths"][f"/api/v1/{path}"][method]


def query_parameter(schema: dict, method: str, path: str, name: str) -> dict:
    parameters = operation(schema, method, path)["parameters"]
    return next(p for p in parameters if p["in"] == "query" and p["name"] == name)["schema"]


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and isinstance(body["code"], str), body
    return body


def payload(**overrides) -> dict:
    return {"title": "Do statins work?", "body": BODY, "references": REFERENCES, **overrides}


# --- the schema itself ---------------------------------------------------------------------------------------


def test_schema_generates_without_warnings():
    """bin/test runs this: the knox token authentication had no schema extension (a warning per view)."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)


def test_schema_documents_the_token_header(api):
    schema = openapi(api)
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert {"knoxApiToken": []} in operation(schema, "get", "articles/")["security"]


def test_429_is_documented_with_retry_after_where_it_happens(api):
    schema = openapi(api)
    for method, path in [("post", "auth/token/"), ("post", "articles/{article_id}/transitions/{name}/")]:
        too_many = operation(schema, method, path)["responses"]["429"]
        assert too_many["headers"]["Retry-After"]["required"] is True
        assert too_many["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "429" not in operation(schema, "get", "articles/")["responses"]


# --- error bodies --------------------------------------------------------------------------------------------


def test_nested_validation_errors_conform_to_the_error_schema(api, author):
    """`errors` of a nested field is an object (or a list of them), not a list of strings: the schema said so."""
    schema = openapi(api)
    api.as_user(author)
    bad_source = payload(source={"model": "x"})  # no kind
    body = assert_json_error(api.post(ARTICLES, bad_source, format="json"), 400)
    assert body["errors"] == {"source": {"kind": ["This field is required."]}}
    conforms(schema, body, "Error")
    bad_reference = payload(references=[REFERENCES[0], {"kind": "guideline"}])  # the second has no citation
    body = assert_json_error(api.post(ARTICLES, bad_reference, format="json"), 400)
    assert body["errors"] == {"references": {"1": {"citation": ["This field is required."]}}}
    conforms(schema, body, "Error")


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


def test_csv_and_json_ld_answers_are_documented(api):
    schema = openapi(api)
    events = operation(schema, "get", "audit/events/")["responses"]["200"]["content"]
    assert set(events) == {"application/json", "text/csv"}
    annotation = operation(schema, "get", "articles/{article_id}/annotations/{annotation_id}/")
    assert set(annotation["responses"]["200"]["content"]) == {"application/json", "application/ld+json"}


# --- responses that the schema refused -----------------------------------------------------------------------


def test_an_article_without_a_topic_conforms_to_its_schema(api, author):
    """The topic is "" when not given; the output schema allowed only a non-empty slug."""
    schema = openapi(api)
    article = make_article(author)
    assert article.topic == ""
    api.as_user(author)
    listed = api.get(ARTICLES).json()["results"][0]
    conforms(schema, listed, "ArticleListOutput")
    conforms(schema, api.get(f"{ARTICLES}{article.pk}/").json(), "ArticleOutput")


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


# --- input the schema allowed and the API refused ------------------------------------------------------------


def test_number_parameters_document_their_minimum(api, author, editor, board):
    """revision=-1 is 400 (not a revision number): the schema allowed any integer."""
    schema = openapi(api)
    annotations, annotation = "articles/{article_id}/annotations/", "articles/{article_id}/annotations/{annotation_id}/"
    assert query_parameter(schema, "get", annotations, "revision")["minimum"] == 1
    assert query_parameter(schema, "get", annotation, "revision")["minimum"] == 1
    assert query_parameter(schema, "get", "articles/{article_id}/revisions/{a}/diff/{b}/", "page")["minimum"] == 1
    assert query_parameter(schema, "get", "audit/events/", "article")["minimum"] == 1
    moment = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
    assert query_parameter(schema, "get", "audit/events/", "since") == moment
    article = reviewed_article(author, editor, [board])
    assert_json_error(api.as_user(editor).get(f"{ARTICLES}{article.pk}/annotations/?revision=-1"), 400)


def test_an_empty_selector_list_is_documented_as_invalid(api, author, editor, board):
    schema = openapi(api)
    assert schema["components"]["schemas"]["TargetInputRequest"]["properties"]["selector"]["minItems"] == 1
    article = reviewed_article(author, editor, [board])
    api.as_user(board)
    annotation = {"revision": 1, "kind": "comment", "body": "Why?", "target": {"selector": []}}
    body = assert_json_error(api.post(f"{ARTICLES}{article.pk}/annotations/", annotation, format="json"), 400)
    assert body["errors"] == {"target": {"selector": ["This list may not be empty."]}}


def test_text_of_only_whitespace_is_blank_and_the_schema_says_so(api, author):
    """A required text field is trimmed first: "   " is blank (400), which minLength 1 alone allowed."""
    schema = openapi(api)
    properties = schema["components"]["schemas"]["ArticleCreateInputRequest"]["properties"]
    not_only_whitespace = r"[^\s\u001c-\u001f\u0085]"  # Python's whitespace, in ECMA's terms
    assert properties["title"]["pattern"] == properties["body"]["pattern"] == not_only_whitespace
    reference = schema["components"]["schemas"]["ReferenceInputRequest"]["properties"]
    assert reference["citation"]["pattern"] == not_only_whitespace
    assert "pattern" not in reference["doi"]  # may be blank
    api.as_user(author)
    for blank in ("   ", "\x1c\x85"):
        body = assert_json_error(api.post(ARTICLES, payload(title=blank), format="json"), 400)
        assert body["errors"] == {"title": ["This field may not be blank."]}


def test_declining_needs_a_reason_and_the_schema_says_so(api, author, editor, board):
    schema = openapi(api)
    decline = operation(schema, "post", "articles/{article_id}/assignments/{assignment_id}/decline/")
    assert decline["requestBody"]["required"] is True
    assert schema["components"]["schemas"]["AssignmentDeclineInputRequest"]["required"] == ["reason"]
    accept = operation(schema, "post", "articles/{article_id}/assignments/{assignment_id}/accept/")
    accept_input = accept["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "required" not in schema["components"]["schemas"][accept_input]  # accepting needs no reason
    article = reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED)
    assignment = Assignment.objects.get(article=article, reviewer=board)
    url = f"{ARTICLES}{article.pk}/assignments/{assignment.pk}/decline/"
    api.as_user(board)
    for data in ({}, {"reason": "   "}):
        body = assert_json_error(api.post(url, data, format="json"), 400)
        assert body["errors"] == {"reason": ["A reason is required to decline."]}
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED
    response = api.post(url, {"reason": "Travelling"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
