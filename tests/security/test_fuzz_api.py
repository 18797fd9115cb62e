"""Schemathesis over /api/v1/schema/: every operation with generated input, as an editor, a board member and an author.

Each user calls every operation with their own API token, against objects that exist: an article under review
with the board member assigned and an annotation on it, a published one, a revised one (revisions 1 and 2), another
author's draft. About half of the generated path parameters name these (the generated values otherwise).

Checks (schemathesis' defaults, plus API.md's error body):
- no 5xx (`not_a_server_error`); every status, content type, required header and body is one the schema documents
  (`status_code_conformance`, `content_type_conformance`, `response_headers_conformance`,
  `response_schema_conformance`); and so on;
- `error_body_follows_api_md`: every error (status >= 400) is JSON `{"detail": str, "code": str}`, and `errors`,
  when present, is an object;
- `positive_data_accepted`: schemathesis' `positive_data_acceptance` (input the schema allows is not refused with
  400), except the 400s for input no schema can describe (SEMANTIC_400: wrong credentials, a username that is not
  a board member, a quote that is not in the text, ...), and then only for the fields named there;
- `ignored_auth_once_per_operation`: schemathesis' `ignored_auth` (an operation that answers without a token, or
  with a wrong one), probed once per operation as its command line does;
- `negative_data_rejection` is left out (STACK.md G-S1): the API accepts some input the schema does not
  describe (DRF reads `0` as `"0"`, unknown query parameters and body fields are ignored). A policy, not a bug.

Bounded for CI: FUZZ_EXAMPLES generated cases per operation and user (default 5). The coverage phase (boundary
and invalid values of every parameter, unsupported methods: about 1,700 cases per user whatever FUZZ_EXAMPLES
says) runs as the editor, who passes the permission checks and so reaches the validation, unless
FUZZ_COVERAGE_USERS=all. Derandomized when CI is set (like tests/conftest.py's "ci" profile). The counts are
printed at the end. A deeper run:

    FUZZ_EXAMPLES=200 FUZZ_COVERAGE_USERS=all pytest tests/security/test_fuzz_api.py

and `-m "not fuzz"` leaves it out.
"""

from __future__ import annotations

import collections
import itertools
import os
import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData

from articles.models import TRANSITION_NAMES, Article, ArticleState, PublishRequest, Revision
from editorial.models import Notification
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import publishing
from reviewers.models import Annotation, Assignment
from tests.factories import make_article, make_user, reviewed_article

pytestmark = [pytest.mark.fuzz, pytest.mark.one_database]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
DERANDOMIZE = bool(os.environ.get("CI"))
ROLES = ("editor", "board", "author")
COVERAGE_ROLES = ROLES if os.environ.get("FUZZ_COVERAGE_USERS") == "all" else ("editor",)

# The 400s for input that the schema cannot describe, because they depend on the data (or on several fields at
# once) and not on one value's shape: operation -> the fields such a 400 may name ("a.*.b": field b of any item
# of list a; None: a 400 that names no field). Every other 400 for input the schema allows is a failure.
SEMANTIC_400 = {
    # API.md: wrong credentials → 400.
    "POST /api/v1/auth/token/": {"non_field_errors"},
    # API.md: 400 if the reviewer is not an active board member; unknown usernames in a body are 400.
    "POST /api/v1/articles/{article_id}/assignments/": {"reviewer"},
    # A machine-drafted revision names its model; Django's URL validator is stricter than `format: uri`
    # (host labels, a top-level domain); a PATCH that changes nothing ("Nothing to change.").
    "POST /api/v1/articles/": {"source.model", "references.*.url"},
    "PATCH /api/v1/articles/{article_id}/": {"source.model", "references.*.url", None},
    # API.md: 400 if the quote is not found at that place in that revision's text (or there is no such
    # revision); one TextQuoteSelector and at most one TextPositionSelector; a suggestion has its text.
    "POST /api/v1/articles/{article_id}/annotations/": {"target", "target.selector", "revision", "suggestion"},
    # API.md: exactly one of doi and pmid (two fields at once), a DOI of the form 10.NNNN/suffix once its
    # https://doi.org/ prefix is taken off, a PMID of 1 to 9 ASCII digits once its "PMID:" prefix is.
    "POST /api/v1/reference-retractions/": {"doi", "pmid"},
    # API.md: publish_at must be in the future (400); the revision must exist.
    "POST /api/v1/articles/{article_id}/publish/": {"publish_at", "revision"},
    # API.md: withdraw and reject need comment; board decisions need password and revision (missing: 400).
    "POST /api/v1/articles/{article_id}/transitions/{name}/": {"comment", "password", "revision"},
    # API.md: statement required when has_conflict.
    "POST /api/v1/articles/{article_id}/conflicts/": {"statement"},
    # A claim is verified on a revision that exists, by a key that is one of its claims, against one of the
    # references that claim may be verified against.
    "POST /api/v1/articles/{article_id}/claims/": {"claim", "reference", "revision"},
}

# (role, "METHOD /path") -> cases run; role -> status code -> responses.
CASES: collections.Counter = collections.Counter()
STATUSES: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
REQUESTS: collections.Counter = collections.Counter()  # role -> requests sent, the checks' probes included
STARTED = time.monotonic()


def _error_paths(errors, prefix: str = "") -> set:
    """The fields an `errors` object names, nested ones as "a.b", list items as "a.*.b"."""
    if isinstance(errors, dict):
        items = [("*" if str(key).isdigit() else str(key), value) for key, value in errors.items()]
    elif isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        items = [("*", item) for item in errors]
    else:
        return {prefix}
    paths = set()
    for key, value in items:
        paths |= _error_paths(value, f"{prefix}.{key}" if prefix else key)
    return paths


def _error_fields(response) -> set:
    try:
        body = response.json()
    except ValueError:
        return {"<not JSON>"}
    errors = body.get("errors") if isinstance(body, dict) else None
    return _error_paths(errors) if isinstance(errors, dict) and errors else {None}


@schemathesis.check
def error_body_follows_api_md(ctx, response, case):
    """API.md: every error body is JSON `{"detail": str, "code": str}`; `errors`, when present, is an object."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), f"error {response.status_code} as {content_type!r}"
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"error {response.status_code} body is not JSON: {response.text[:200]!r}") from exc
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), f"no `detail` sentence: {body!r}"
    assert isinstance(body.get("code"), str) and body["code"], f"no `code`: {body!r}"
    if "errors" in body:
        assert isinstance(body["errors"], dict), f"`errors` is not an object: {body!r}"
    return True


@schemathesis.check
def positive_data_accepted(ctx, response, case):
    """schemathesis' positive_data_acceptance, but for the 400s of SEMANTIC_400 (on the fields named there)."""
    allowed = SEMANTIC_400.get(case.operation.label, set())
    if response.status_code == 400 and _error_fields(response) <= allowed:
        return None
    return schemathesis.checks.positive_data_acceptance(ctx, response, case)


# Operations shown to refuse a request without a token and one with a wrong token (schemathesis' ignored_auth).
AUTH_ENFORCED: set[str] = set()


@schemathesis.check
def ignored_auth_once_per_operation(ctx, response, case):
    """schemathesis' ignored_auth with its command line's memory: an operation that answered 2xx is probed without
    a token and with a wrong one once per run (`auth_enforced_operations`), not again after every 2xx answer
    (three more requests each, which pytest's integration would send: it keeps no such set)."""
    ctx.auth_enforced_operations = AUTH_ENFORCED
    return schemathesis.checks.ignored_auth(ctx, response, case)


def _world() -> dict:
    """Objects that exist, so that generated path ids hit real ones as well as missing ones."""
    editor = make_user("editor", username="editor")
    board = make_user("board", username="board1")
    author = make_user("author", username="author")
    other_author = make_user("author", username="other_author")

    # Under review, board1 assigned and declared, with an annotation and a reply.
    under_review = reviewed_article(author, editor, [board])
    revision = under_review.current_revision
    exact = "Statins lower LDL cholesterol"
    start = revision.text.index(exact)
    annotation = annotation_services.add_annotation(
        under_review,
        actor=board,
        revision_number=revision.number,
        kind="comment",
        body="Which guideline year?",
        selectors={"exact": exact, "prefix": "", "suffix": "", "start": start, "end": start + len(exact)},
    )
    annotation_services.reply_to_annotation(annotation, actor=author, body="The 2019 one.")

    # Approved and published (version 1): a transactional test, so the publishing task runs on commit.
    published = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    publishing.request_publication(published, actor=editor)
    assert Article.objects.get(pk=published.pk).live_version_id is not None

    # Changes requested, then revised: revisions 1 and 2 to diff.
    revised = reviewed_article(author, editor, [board], state=ArticleState.CHANGES_REQUESTED)
    article_services.edit_article(revised, actor=author, body=revised.current_revision.body + "\n\nMore.")

    # Another author's draft: the board member and the author may not see it (404), the editor may.
    make_article(other_author)

    return {"users": {"editor": editor, "board": board, "author": author}, "paths": _existing_paths()}


def _existing_paths() -> dict[frozenset, list[dict]]:
    """Path parameters that name objects that exist, by the set of parameter names of a path."""
    articles = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    revisions = list(Revision.objects.order_by("article_id", "number").values_list("article_id", "number"))

    def of(model, key: str) -> list[dict]:
        return [{"article_id": a, key: pk} for a, pk in model.objects.order_by("pk").values_list("article_id", "pk")]

    return {
        frozenset({"article_id"}): [{"article_id": a} for a in articles],
        frozenset({"article_id", "annotation_id"}): of(Annotation, "annotation_id"),
        frozenset({"article_id", "assignment_id"}): of(Assignment, "assignment_id"),
        frozenset({"article_id", "request_id"}): of(PublishRequest, "request_id"),
        frozenset({"article_id", "number"}): [{"article_id": a, "number": n} for a, n in revisions],
        frozenset({"article_id", "a", "b"}): [
            {"article_id": article, "a": n, "b": m}
            for article, n in revisions
            for other, m in revisions
            if other == article
        ],
        frozenset({"article_id", "name"}): [{"article_id": a, "name": t} for a in articles for t in TRANSITION_NAMES],
        frozenset({"notification_id"}): [
            {"notification_id": pk} for pk in Notification.objects.order_by("pk").values_list("pk", flat=True)
        ],
    }


def _token_headers(user) -> dict:
    _, token = AuthToken.objects.create(user)
    return {"Authorization": f"Token {token}"}


@pytest.fixture(params=ROLES)
def fuzz_role(request) -> str:
    return request.param


@pytest.fixture
def fuzz_world(committed_roles, fuzz_role) -> dict:
    # committed_roles: transactional_db, with the role groups. Each request commits as in production, so that
    # on-commit work runs (the publishing task); STACK.md G-S2 on the `db` fixture and in-process WSGI.
    world = _world()
    world["user"] = world["users"][fuzz_role]
    world["headers"] = _token_headers(world["user"])
    return world


# The schema is loaded once for the three users: schemathesis keeps what it derives from it (canonical schemas,
# strategies) with it. The hooks read the user and the objects of the test that runs.
CURRENT: dict = {}
_SCHEMA: list = []


def _load_schema():
    from config.wsgi import application

    def counted(environ, start_response):
        REQUESTS[CURRENT["role"]] += 1
        return application(environ, start_response)

    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", counted)
    # NUL cannot be stored by PostgreSQL and DRF refuses it; the token is given explicitly, per user.
    schema.config.generation.update(
        allow_x00=False, max_examples=EXAMPLES, deterministic=DERANDOMIZE, with_security_parameters=False
    )

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        """Fuzzing: about half of the cases name objects that exist (the generated ids otherwise)."""
        combinations = CURRENT["paths"].get(frozenset(path_parameters or ()))
        if not combinations:
            return st.just(path_parameters)
        return st.one_of(st.just(path_parameters), st.sampled_from(combinations).map(dict))

    @schema.hook
    def map_case(context, case):
        """Coverage: a case about the query or the body is sent to objects that exist, taking each in turn,
        so that it reaches the validation instead of a 404 (a case about a path parameter keeps its value)."""
        data = case.meta.phase.data if case.meta else None
        if not isinstance(data, CoveragePhaseData) or data.parameter_location == ParameterLocation.PATH:
            return case
        combinations = CURRENT["paths"].get(frozenset(case.path_parameters or ()))
        if combinations:
            case.path_parameters = dict(combinations[next(CURRENT["turn"]) % len(combinations)])
        return case

    return schema


@pytest.fixture
def fuzz_schema(fuzz_world, fuzz_role):
    CURRENT.update(role=fuzz_role, paths=fuzz_world["paths"], turn=itertools.count())
    if not _SCHEMA:
        _SCHEMA.append(_load_schema())
    schema = _SCHEMA[0]
    phases = ["examples", "coverage", "fuzzing"] if fuzz_role in COVERAGE_ROLES else ["examples", "fuzzing"]
    schema.config.phases.update(phases=phases)
    # Like Django's test Client: no closing of the connection after each request (CONN_MAX_AGE=0), which on
    # PostgreSQL would mean a new connection for every case.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


fuzz = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is None or capture is None or not CASES:
        return
    with capture.global_and_fixture_disabled():
        operations = {label for _, label in CASES}
        roles = [role for role in ROLES if any(r == role for r, _ in CASES)]
        reporter.write_line("")
        reporter.write_line(
            f"fuzz: {len(operations)} operations x {len(roles)} users ({', '.join(roles)}) x {EXAMPLES} generated "
            f"examples, coverage phase as {', '.join(COVERAGE_ROLES)}: {sum(CASES.values())} cases "
            f"in {time.monotonic() - STARTED:.1f} s{' (derandomized)' if DERANDOMIZE else ''}"
        )
        for role in roles:
            per_operation = [n for (r, _), n in CASES.items() if r == role]
            statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES[role].items()))
            reporter.write_line(
                f"fuzz:   {role}: {sum(per_operation)} cases ({min(per_operation)}-{max(per_operation)} per "
                f"operation), {REQUESTS[role]} requests; statuses {statuses}"
            )


@fuzz.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_fuzz(case, fuzz_role, fuzz_world):
    CASES[fuzz_role, case.operation.label] += 1
    revokes = case.operation.path.startswith("/api/v1/auth/token/revoke/")
    # The revoke operations end the token they are called with (`all/`: every token of the user): a spare one.
    headers = _token_headers(fuzz_world["user"]) if revokes else fuzz_world["headers"]
    try:
        response = case.call_and_validate(
            headers=headers,
            excluded_checks=[
                schemathesis.checks.negative_data_rejection,
                schemathesis.checks.positive_data_acceptance,  # as positive_data_accepted
                schemathesis.checks.ignored_auth,  # as ignored_auth_once_per_operation
            ],
        )
    finally:
        if revokes:
            fuzz_world["headers"] = _token_headers(fuzz_world["user"])
    STATUSES[fuzz_role][response.status_code] += 1
