"""Authorization matrix: every API route and page, for anonymous and each role, from the URLconf.

Routes
------
`collect_routes()` walks `django.urls.get_resolver()` recursively through its includes and keeps every route
under `/api/v1/` and every page route, with the HTTP methods its view answers:

- a class-based view: the handlers its class defines among `get`, `post`, `put`, `patch`, `delete`
  (Django's form views define `put` too: it is in the matrix, since the view answers it);
- a function view: the methods of its `require_GET` / `require_POST` / `require_safe` /
  `require_http_methods` decorator, read from the decorator's closure along the `__wrapped__` chain;
- a function view without such a decorator answers every method: its methods are written by hand in
  `UNDECORATED_VIEW_METHODS`, and a new one without an entry there fails the test.

HEAD (the GET handler without its body) and OPTIONS (metadata, no handler of ours) are left out.

Skipped, and why:

- `/admin/`: Django's admin, behind its own staff check; covered elsewhere.
- `/favicon.ico` (and the static files' prefix, when DEBUG serves them): a permanent redirect to a static
  file, the same for everyone, with no name and no data behind it.

Every other route must have a name; every (name, method) must have an entry in `EXPECTED` (a new route
without an entry fails `test_every_route_has_an_entry_and_every_entry_a_route`), and an entry whose route
or method no longer exists fails it too.

The expected table
------------------
`EXPECTED` is written from /work/shared/API.md and DESIGN.md, not from what the code answers today:

- deny by default; an anonymous API call is 401; an anonymous visit to a page behind sign-in is a 302 to
  the sign-in page (`SIGN_IN`); the public pages, the home redirect, sign-in and sign-out answer everyone;
- 404 when the principal may not see the object: an article is seen by its author, editors and auditors
  always, by board members once it was submitted, never by other authors; a notification by its recipient
  only;
- 403 when they may see it but not act; for a principal who may act, the success status, or 409 where the
  representative object's state refuses the action (listed as such, cell by cell);
- `GATE` = {403, 404}: a desk reserved to one role (the editor desk, the review queue, the audit console)
  answers 403 to every other role before it looks at the object; for a principal who may not see the
  object either (another author's article, a reader report, which only editors see), that 403 is right
  too: it is the same for every id, existing or not, so it discloses nothing, which is what the 404 rule
  is for.

Pages answer a refusal by a service with its sentence as a message, on a 200 page or a 302 back to it
(`editorial.web.common.attempt`): nothing changes, but the status alone would not tell a refusal from a
success. The matrix watches `attempt` and, when the service refused, reads the status the refusal carries
(the one the API answers for the same refusal), so a page's cell says 403 where the API's does.

Every principal's request runs in a savepoint that is rolled back, so each one meets the same objects in
the same state; API error answers must have API.md's `{"detail", "code"}` body.

Principals: `anonymous`; `author` (owner of the articles); `other_author`; `board` (assigned to the article
under review, declared no conflict); `board_outsider` (a board member not assigned); `editor`; `auditor`.

Objects (built per test function by the `world` fixture, through the services; each one only when the
test's route asks for it): `article`, under review (`publication_policy` immediate, revisions 1 and 2,
`board` assigned and declared); on it, by `board`, an open comment `annotation`, a `resolved` comment, a
resolved blocking `safety` concern and an open `suggestion`; `board`'s `assignment`; a `notification` to
`author`; `draft`, an article of `author`'s never submitted; `published`, a second article of `author`'s,
submitted, with a live v1, a `scheduled` publish request and a reader `report` on it. A few entries have
variants (a third word in the key): the path value of a `<str:...>` segment (a transition, an annotation
action, an answer, an export format), or another object (the draft; the unpublished article's public pages).

A cell known to contradict the contract is listed in `FINDINGS` with what it answers: it is left out of its
route's test and checked on its own, marked `xfail(strict=True)`, so it fails loudly once fixed and one
finding never hides another.

The number of (route, method, principal) cells checked is printed at the end of the run
(tests/security/conftest.py).
"""

from __future__ import annotations

import datetime
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from http.cookies import SimpleCookie
from importlib import import_module
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from articles.models import Article, PublishRequest, PublishRequestStatus
from editorial import outbox
from editorial.exceptions import EditorialError
from editorial.models import Notification, NotificationKind, OutboxMessage, OutboxStatus
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import publishing, workflow
from editorial.services.reader_reports import submit_reader_report
from editorial.web import common as web_common
from reviewers.claims import revision_claims
from reviewers.models import Assignment
from tests.factories import PASSWORD, make_article

pytestmark = [pytest.mark.django_db, pytest.mark.one_database]

PRINCIPALS = ("anonymous", "author", "other_author", "board", "board_outsider", "editor", "auditor")

SIGN_IN = "302 to the sign-in page"
GATE = frozenset({403, 404})

# -- the routes, from the URLconf ------------------------------------------------------------------------

SKIPPED_PREFIXES = {
    "admin/": "Django's admin, behind its own staff check; covered elsewhere",
    "favicon.ico": "a permanent redirect to a static file, the same for everyone",
}
if settings.STATIC_URL:
    SKIPPED_PREFIXES[settings.STATIC_URL.lstrip("/")] = "static files (served when DEBUG is on)"

IGNORED_METHODS = {"HEAD", "OPTIONS"}

# Function views with no method decorator answer every method; these are the methods they are for.
UNDECORATED_VIEW_METHODS = {
    "home": {"GET"},
    "inbox": {"GET"},
}


@dataclass(frozen=True)
class Route:
    name: str | None
    path: str
    methods: frozenset[str] | None  # None: a function view without a method decorator nor an entry above
    params: tuple[str, ...]


def _walk(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        path = prefix + str(pattern.pattern)
        if any(path.startswith(skipped) for skipped in SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, path)
        elif isinstance(pattern, URLPattern):
            yield path, pattern


def _declared_methods(view) -> set[str] | None:
    """The methods of a `require_http_methods` decorator (require_GET, require_POST, require_safe are it)
    anywhere along the `__wrapped__` chain, from the decorator's closure."""
    seen = set()
    while view is not None and id(view) not in seen:
        seen.add(id(view))
        code = getattr(view, "__code__", None)
        if code is not None and view.__closure__:
            cells = dict(zip(code.co_freevars, view.__closure__, strict=True))
            if "request_method_list" in cells:
                return {m.upper() for m in cells["request_method_list"].cell_contents}
        view = getattr(view, "__wrapped__", None)
    return None


def _methods(name: str | None, callback) -> frozenset[str] | None:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        handlers = {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
        return frozenset(handlers - IGNORED_METHODS)
    declared = _declared_methods(callback)
    if declared is None:
        declared = UNDECORATED_VIEW_METHODS.get(name)
    return None if declared is None else frozenset(set(declared) - IGNORED_METHODS)


def collect_routes() -> list[Route]:
    routes = []
    for path, pattern in _walk(get_resolver()):
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", path))
        routes.append(Route(pattern.name, "/" + path, _methods(pattern.name, pattern.callback), params))
    return routes


# -- the expected table ------------------------------------------------------------------------------------

# Key: "route-name METHOD" or "route-name METHOD variant" (one object or path value among several).
# Columns: anonymous, author, other_author, board, board_outsider, editor, auditor.
S, G = SIGN_IN, GATE
VISIBLE = (401, 200, 404, 200, 200, 200, 200)  # a read of the article under review or of the published one
SIGNED_IN = (401, 200, 200, 200, 200, 200, 200)
PUBLIC = (200, 200, 200, 200, 200, 200, 200)
PAGE_VISIBLE = (S, 200, 404, 200, 200, 200, 200)
EDITOR_PAGE = (S, 403, G, 403, 403, 302, 403)  # an editor's action on an article through their desk
DECIDE = (401, 403, 404, 200, 403, 403, 403)  # the assigned member's signed decision
PAGE_DECIDE = (S, 403, 404, 302, 403, 403, 403)

# fmt: off
EXPECTED: dict[str, tuple] = {
    # API: authentication and schema
    "api-token POST":                             (200, 200, 200, 200, 200, 200, 200),
    "api-token-revoke POST":                      (401, 204, 204, 204, 204, 204, 204),
    "api-token-revoke-all POST":                  (401, 204, 204, 204, 204, 204, 204),
    "api-schema GET":                             PUBLIC,
    # API: articles and revisions
    "api-articles GET":                           SIGNED_IN,
    "api-articles POST":                          (401, 201, 201, 403, 403, 201, 403),
    "api-article GET":                            VISIBLE,
    "api-article GET draft":                      (401, 200, 404, 404, 404, 200, 200),  # never submitted
    "api-article PATCH":                          (401, 409, 404, 403, 403, 409, 403),  # under review: 409
    "api-revisions GET":                          VISIBLE,
    "api-revision GET":                           VISIBLE,
    "api-revision-diff GET":                      VISIBLE,
    # API: workflow
    "api-transitions GET":                        VISIBLE,
    "api-transition POST submit":                 (401, 409, 404, 403, 403, 409, 403),
    "api-transition POST start_review":           (401, 403, 404, 403, 403, 409, 403),
    "api-transition POST request_changes":        DECIDE,
    "api-transition POST approve":                DECIDE,
    "api-transition POST reject":                 DECIDE,
    "api-transition POST withdraw":               (401, 200, 404, 403, 403, 200, 403),
    "api-transition POST revise":                 (401, 409, 404, 403, 403, 409, 403),
    "api-assignments GET":                        VISIBLE,
    "api-assignments POST":                       (401, 403, 404, 403, 403, 201, 403),
    "api-suggestions GET":                        (401, 403, 404, 403, 403, 200, 403),
    "api-assignment-accept POST":                 (401, 403, 404, 200, 403, 403, 403),
    "api-assignment-decline POST":                (401, 403, 404, 200, 403, 403, 403),
    "api-conflicts GET":                          VISIBLE,
    "api-conflicts POST":                         (401, 403, 404, 201, 201, 403, 403),
    # API: annotations
    "api-annotations GET":                        VISIBLE,
    "api-annotations POST":                       (401, 403, 404, 201, 403, 201, 403),
    "api-annotation GET":                         VISIBLE,
    "api-annotation-replies POST":                (401, 201, 404, 201, 403, 201, 403),
    "api-annotation-resolve POST":                (401, 200, 404, 200, 403, 200, 403),
    "api-annotation-reopen POST comment":         (401, 200, 404, 200, 403, 200, 403),
    "api-annotation-reopen POST safety":          (401, 403, 404, 200, 403, 200, 403),  # blocking: not the author
    "api-annotation-accept POST":                 (401, 409, 404, 403, 403, 409, 403),  # under review: 409
    "api-history GET":                            VISIBLE,
    "api-claims GET":                             VISIBLE,
    "api-claims POST":                            (401, 403, 404, 201, 403, 403, 403),  # the assigned member
    # API: publishing
    "api-publish GET":                            VISIBLE,
    "api-publish POST":                           (401, 403, 404, 403, 403, 202, 403),
    "api-publish-cancel POST":                    (401, 403, 404, 403, 403, 200, 403),
    "api-versions GET":                           VISIBLE,
    "api-retract POST":                           (401, 403, 404, 403, 403, 200, 403),
    # API: the user's own notifications
    "api-notifications GET":                      SIGNED_IN,
    "api-notification-preferences GET":           SIGNED_IN,
    "api-notification-preferences POST":          SIGNED_IN,
    "api-notification-read POST":                 (401, 200, 404, 404, 404, 404, 404),
    # API: the retraction list
    "api-reference-retractions GET":              (401, 403, 403, 200, 200, 200, 200),
    "api-reference-retractions POST":             (401, 403, 403, 403, 403, 201, 403),
    # API: audit
    "api-audit-events GET":                       (401, 403, 403, 403, 403, 200, 200),
    "api-audit-verify GET":                       (401, 403, 403, 403, 403, 403, 200),
    # Pages: accounts and home
    "login GET":                                  PUBLIC,
    "login POST":                                 (302, 302, 302, 302, 302, 302, 302),
    "login PUT":                                  PUBLIC,  # no form data: the form again, nobody signed in
    "logout POST":                                (302, 302, 302, 302, 302, 302, 302),
    "password-change GET":                        (S, 200, 200, 200, 200, 200, 200),
    "password-change POST":                       (S, 302, 302, 302, 302, 302, 302),
    "password-change PUT":                        (S, 200, 200, 200, 200, 200, 200),
    "home GET":                                   (302, 302, 302, 302, 302, 302, 302),
    "inbox GET":                                  (S, 200, 200, 200, 200, 200, 200),
    "inbox-read POST":                            (S, 302, 404, 404, 404, 404, 404),
    "inbox-read-all POST":                        (S, 302, 302, 302, 302, 302, 302),
    # Pages: writing
    "author-desk GET":                            (S, 200, 200, 403, 403, 200, 403),
    "article-new GET":                            (S, 200, 200, 403, 403, 200, 403),
    "article-new POST":                           (S, 302, 302, 403, 403, 302, 403),
    "article-preview POST":                       (S, 200, 200, 403, 403, 200, 403),
    "article-edit GET":                           (S, 200, 404, 403, 403, 200, 403),
    "article-edit POST":                          (S, 409, 404, 403, 403, 409, 403),  # under review: 409
    # Pages: the workspace
    "workspace GET":                              PAGE_VISIBLE,
    "workspace GET draft":                        (S, 200, 404, 404, 404, 200, 200),  # never submitted
    "workspace-diff GET":                         PAGE_VISIBLE,
    "annotation-create POST":                     (S, 403, 404, 302, 403, 302, 403),
    "annotation-action POST reply":               (S, 302, 404, 302, 403, 302, 403),
    "annotation-action POST resolve":             (S, 302, 404, 302, 403, 302, 403),
    "annotation-action POST reopen":              (S, 302, 404, 302, 403, 302, 403),
    "annotation-action POST reopen-safety":       (S, 403, 404, 302, 403, 302, 403),
    "annotation-action POST accept":              (S, 409, 404, 403, 403, 409, 403),
    "workspace-transition POST submit":           (S, 409, 404, 403, 403, 409, 403),
    "workspace-transition POST start_review":     (S, 403, 404, 403, 403, 409, 403),
    "workspace-transition POST request_changes":  PAGE_DECIDE,
    "workspace-transition POST approve":          PAGE_DECIDE,
    "workspace-transition POST reject":           PAGE_DECIDE,
    "workspace-transition POST withdraw":         (S, 302, 404, 403, 403, 302, 403),
    "workspace-transition POST revise":           (S, 409, 404, 403, 403, 409, 403),
    "workspace-conflict POST":                    (S, 403, 404, 302, 302, 403, 403),
    "claim-verify POST":                          (S, 403, 404, 302, 403, 403, 403),  # the assigned member
    # Pages: the board's review queue
    "review-queue GET":                           (S, 403, 403, 200, 200, 403, 403),
    "assignment-respond POST accept":             (S, 403, G, 302, 403, 403, 403),
    "assignment-respond POST decline":            (S, 403, G, 302, 403, 403, 403),
    # Pages: the editor desk
    "editor-desk GET":                            (S, 403, 403, 403, 403, 200, 403),
    "editor-article GET":                         (S, 403, G, 403, 403, 200, 403),
    "editor-assign POST":                         EDITOR_PAGE,
    "editor-settings POST":                       EDITOR_PAGE,
    "editor-publish POST":                        EDITOR_PAGE,
    "editor-cancel-publish POST":                 EDITOR_PAGE,
    "editor-retract POST":                        EDITOR_PAGE,
    "editor-start-review POST":                   (S, 403, G, 403, 403, 409, 403),  # already under review
    "editor-rereview POST":                       (S, 403, G, 403, 403, 409, 403),  # not approved
    "editor-accounts GET":                        (S, 403, 403, 403, 403, 200, 403),
    "editor-unlock POST":                         (S, 403, 403, 403, 403, 302, 403),
    "editor-retry-work POST":                     (S, 403, 403, 403, 403, 302, 403),
    "editor-retry-email POST":                    (S, 403, 403, 403, 403, 409, 403),  # not stuck
    "editor-retractions GET":                     (S, 403, 403, 403, 403, 200, 403),
    "editor-retraction-add POST":                 (S, 403, 403, 403, 403, 302, 403),
    "reader-reports GET":                         (S, 403, 403, 403, 403, 200, 403),
    "reader-report-triage POST":                  (S, G, G, G, G, 302, G),  # reports: the editors' only
    "reader-report-draft-request POST":           (S, G, G, G, G, 409, G),  # a problem report, not a question
    # Pages: the audit console
    "audit-log GET":                              (S, 403, 403, 403, 403, 200, 200),
    "audit-export GET csv":                       (S, 403, 403, 403, 403, 200, 200),
    "audit-export GET json":                      (S, 403, 403, 403, 403, 200, 200),
    "audit-article GET":                          (S, 403, G, 403, 403, 200, 200),
    "audit-live GET":                             (S, 403, 403, 403, 403, 200, 200),
    "audit-verify GET":                           (S, 403, 403, 403, 403, 403, 200),
    # Pages: public
    "public-index GET":                           PUBLIC,
    "article-public GET":                         PUBLIC,
    "article-public GET unpublished":             (404, 404, 404, 404, 404, 404, 404),
    "article-version GET":                        PUBLIC,
    "article-version GET unpublished":            (404, 404, 404, 404, 404, 404, 404),
    "reader-report POST":                         (302, 302, 302, 302, 302, 302, 302),
    "reader-report POST unpublished":             (404, 404, 404, 404, 404, 404, 404),
    "editorial-policy GET":                       PUBLIC,
}
# fmt: on

# Cells whose answer contradicts the contract: (entry, principal) -> (what it answers, why it is wrong).
FINDINGS: dict[tuple[str, str], tuple[object, str]] = {}


# -- how each entry is asked ------------------------------------------------------------------------------

TRANSITION_NAMES = ("submit", "start_review", "request_changes", "approve", "reject", "withdraw", "revise")


@dataclass(frozen=True)
class Ask:
    """How to call an entry: path values over the defaults, and a minimal valid body (form data for pages)."""

    params: Callable[[World], dict] = field(default=lambda w: {})
    body: Callable[[World], dict] | None = None


def _selector(w, quote: str) -> dict:
    start = w.revision.text.index(quote)
    return {"exact": quote, "start": start, "end": start + len(quote)}


def _annotation_body(w) -> dict:
    where = _selector(w, w.quote)
    return {
        "revision": w.revision.number,
        "kind": "comment",
        "body": "Which trial is this?",
        "target": {
            "selector": [
                {"type": "TextQuoteSelector", "exact": where["exact"]},
                {"type": "TextPositionSelector", "start": where["start"], "end": where["end"]},
            ]
        },
    }


def _transition_body(w) -> dict:
    # Everything any transition may need: a reason, and for a decision the signature and the revision read.
    return {"comment": "For the record", "password": PASSWORD, "revision": w.revision.number}


def _article_form(title: str, base_revision: int | None = None) -> dict:
    form = {
        "action": "save",
        "title": title,
        "body": "Statins lower LDL cholesterol.",
        "plain_language_summary": "",
        "change_summary": "Matrix",
        "references-TOTAL_FORMS": "0",
        "references-INITIAL_FORMS": "0",
        "references-MIN_NUM_FORMS": "0",
        "references-MAX_NUM_FORMS": "200",
    }
    if base_revision:
        form["base_revision"] = str(base_revision)
    return form


NEW_PASSWORD = "Matrix-pass-2468-Quill"
READER_REPORT = {"kind": "problem", "version": "1", "message": "A typo in the title."}

ASKS: dict[str, Ask] = {
    "api-token POST": Ask(body=lambda w: {"username": "author", "password": PASSWORD}),
    "api-token-revoke POST": Ask(body=lambda w: {}),
    "api-token-revoke-all POST": Ask(body=lambda w: {}),
    "api-articles POST": Ask(
        body=lambda w: {
            "title": "Is aspirin advised after sixty?",
            "body": "Aspirin is not advised for everyone [1].",
            "references": [{"kind": "guideline", "citation": "USPSTF 2022", "year": 2022}],
        }
    ),
    "api-article GET draft": Ask(params=lambda w: {"article_id": w.draft.pk}),
    "api-article PATCH": Ask(body=lambda w: {"title": "A clearer title", "change_summary": "Title"}),
    **{
        f"api-transition POST {name}": Ask(params=lambda w, name=name: {"name": name}, body=_transition_body)
        for name in TRANSITION_NAMES
    },
    "api-assignments POST": Ask(body=lambda w: {"reviewer": "board2"}),
    "api-assignment-accept POST": Ask(body=lambda w: {}),
    "api-assignment-decline POST": Ask(body=lambda w: {"reason": "Travelling"}),
    "api-conflicts POST": Ask(body=lambda w: {"has_conflict": False}),
    "api-annotations POST": Ask(body=_annotation_body),
    "api-claims POST": Ask(
        body=lambda w: {"revision": w.revision.number, "claim": revision_claims(w.revision)[0].key, "reference": 1}
    ),
    "api-annotation-replies POST": Ask(body=lambda w: {"body": "The 2016 trial."}),
    "api-annotation-resolve POST": Ask(body=lambda w: {"body": "Done."}),
    "api-annotation-reopen POST comment": Ask(params=lambda w: {"annotation_id": w.resolved.pk}, body=lambda w: {}),
    "api-annotation-reopen POST safety": Ask(params=lambda w: {"annotation_id": w.safety.pk}, body=lambda w: {}),
    "api-annotation-accept POST": Ask(params=lambda w: {"annotation_id": w.suggestion.pk}, body=lambda w: {}),
    "api-publish POST": Ask(body=lambda w: {}),
    "api-publish-cancel POST": Ask(params=lambda w: {"article_id": w.published.pk}, body=lambda w: {}),
    "api-versions GET": Ask(params=lambda w: {"article_id": w.published.pk}),
    "api-retract POST": Ask(params=lambda w: {"article_id": w.published.pk}, body=lambda w: {"reason": "Outdated"}),
    "api-notification-preferences POST": Ask(body=lambda w: {"kind": "published", "mode": "digest"}),
    "api-notification-read POST": Ask(body=lambda w: {}),
    "api-reference-retractions POST": Ask(body=lambda w: {"doi": "10.1000/matrix.1", "note": "Retracted."}),
    "editor-retraction-add POST": Ask(body=lambda w: {"doi": "10.1000/matrix.1", "pmid": "", "note": "Retracted."}),
    "login POST": Ask(body=lambda w: {"username": "author", "password": PASSWORD}),
    "login PUT": Ask(body=lambda w: {}),
    "logout POST": Ask(body=lambda w: {}),
    "password-change POST": Ask(
        body=lambda w: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    ),
    "password-change PUT": Ask(body=lambda w: {}),
    "inbox-read POST": Ask(body=lambda w: {}),
    "inbox-read-all POST": Ask(body=lambda w: {}),
    "article-new POST": Ask(body=lambda w: _article_form("Is aspirin advised after sixty?")),
    "article-preview POST": Ask(body=lambda w: {"body": "Statins lower LDL cholesterol [1].", "action": "preview"}),
    "article-edit POST": Ask(body=lambda w: _article_form("A clearer title", w.revision.number)),
    "annotation-create POST": Ask(
        body=lambda w: {
            "kind": "comment",
            "body": "Which trial is this?",
            "revision": w.revision.number,
            "prefix": "",
            "suffix": "",
            **_selector(w, w.quote),
        }
    ),
    "annotation-action POST reply": Ask(params=lambda w: {"action": "reply"}, body=lambda w: {"body": "The trial."}),
    "annotation-action POST resolve": Ask(params=lambda w: {"action": "resolve"}, body=lambda w: {"body": "Done."}),
    "annotation-action POST reopen": Ask(
        params=lambda w: {"action": "reopen", "annotation_id": w.resolved.pk}, body=lambda w: {"reason": "Not yet"}
    ),
    "annotation-action POST reopen-safety": Ask(
        params=lambda w: {"action": "reopen", "annotation_id": w.safety.pk}, body=lambda w: {"reason": "Not yet"}
    ),
    "annotation-action POST accept": Ask(
        params=lambda w: {"action": "accept", "annotation_id": w.suggestion.pk}, body=lambda w: {}
    ),
    **{
        f"workspace-transition POST {name}": Ask(params=lambda w, name=name: {"name": name}, body=_transition_body)
        for name in TRANSITION_NAMES
    },
    "workspace GET draft": Ask(params=lambda w: {"article_id": w.draft.pk}),
    "workspace-conflict POST": Ask(body=lambda w: {"statement": ""}),  # has_conflict unchecked: no conflict
    "claim-verify POST": Ask(
        body=lambda w: {"revision": w.revision.number, "claim": revision_claims(w.revision)[0].key, "reference": 1}
    ),
    "assignment-respond POST accept": Ask(params=lambda w: {"answer": "accept"}, body=lambda w: {}),
    "assignment-respond POST decline": Ask(params=lambda w: {"answer": "decline"}, body=lambda w: {"reason": "Away"}),
    "editor-assign POST": Ask(body=lambda w: {"reviewer": "board2"}),
    "editor-settings POST": Ask(
        body=lambda w: {"quorum": "2", "publication_policy": "immediate", "required_specialties": ""}
    ),
    "editor-publish POST": Ask(body=lambda w: {"action": "now"}),
    "editor-cancel-publish POST": Ask(params=lambda w: {"article_id": w.published.pk}, body=lambda w: {}),
    "editor-retract POST": Ask(params=lambda w: {"article_id": w.published.pk}, body=lambda w: {"reason": "Outdated"}),
    "editor-start-review POST": Ask(body=lambda w: {}),
    "editor-rereview POST": Ask(body=lambda w: {}),
    "reader-report-triage POST": Ask(body=lambda w: {"outcome": "answered", "response": "Thank you, fixed."}),
    "reader-report-draft-request POST": Ask(body=lambda w: {"author": "author", "title": "A new answer"}),
    "editor-unlock POST": Ask(body=lambda w: {"what": "sign-in", "username": "author"}),
    "editor-retry-work POST": Ask(body=lambda w: {}),
    "editor-retry-email POST": Ask(body=lambda w: {}),
    "audit-export GET csv": Ask(params=lambda w: {"fmt": "csv"}),
    "audit-export GET json": Ask(params=lambda w: {"fmt": "json"}),
    "reader-report POST": Ask(body=lambda w: READER_REPORT),
    # The article under review was never published: its public pages are not there, for anyone.
    "article-public GET unpublished": Ask(params=lambda w: {"slug": w.article.slug}),
    "article-version GET unpublished": Ask(params=lambda w: {"slug": w.article.slug}),
    "reader-report POST unpublished": Ask(params=lambda w: {"slug": w.article.slug}, body=lambda w: READER_REPORT),
}


# The path values of the representative objects, by parameter name (an entry's `Ask.params` goes first).
DEFAULTS: dict[str, Callable] = {
    "article_id": lambda w: w.article.pk,
    "number": lambda w: 1,  # revision 1 of the article; v1 of the published one
    "a": lambda w: 1,
    "b": lambda w: 2,
    "annotation_id": lambda w: w.annotation.pk,
    "assignment_id": lambda w: w.assignment.pk,
    "request_id": lambda w: w.scheduled.pk,
    "notification_id": lambda w: w.notification.pk,
    "message_id": lambda w: w.dead_message.pk,
    "report_id": lambda w: w.report.pk,
    "slug": lambda w: w.published.slug,
}


def split(entry: str) -> tuple[str, str, str]:
    name, method, *variant = entry.split()
    return name, method, variant[0] if variant else ""


ROUTES_BY_NAME = {route.name: route for route in collect_routes() if route.name}


def entry_url(entry: str, w) -> str:
    name, _method, _variant = split(entry)
    ask = ASKS.get(entry, Ask())
    values = ask.params(w)
    kwargs = {param: values[param] if param in values else DEFAULTS[param](w) for param in ROUTES_BY_NAME[name].params}
    url = reverse(name, kwargs=kwargs)
    assert resolve(url).url_name == name, f"{entry}: {url} resolves to another route"
    return url


# -- the objects -----------------------------------------------------------------------------------------


class World:
    """The representative objects, built through the services (see the module's docstring).

    The article under review is built for every test; the others when an entry first asks for them, so a
    test builds only what its route needs.
    """

    def __init__(self, users: dict, capture_on_commit) -> None:
        self.users = users
        self._capture_on_commit = capture_on_commit
        author, editor, board = users["author"], users["editor"], users["board"]
        article = make_article(author, publication_policy="immediate")
        article = article_services.edit_article(
            article, actor=author, title="Do statins prevent heart attacks in adults?", change_summary="Title"
        )
        workflow.submit_article(article, actor=author)
        assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board.username)
        assignment_services.declare_conflict(article, actor=board, has_conflict=False)
        workflow.start_review(article, actor=editor)
        self.article = Article.objects.select_related("current_revision").get(pk=article.pk)
        self.revision = self.article.current_revision
        self.quote = "A trial found fewer events"

    def _annotate(self, kind: str, quote: str, **extra):
        return annotation_services.add_annotation(
            self.article,
            actor=self.users["board"],
            revision_number=self.revision.number,
            kind=kind,
            body=f"A {kind} on {quote!r}",
            selectors={"prefix": "", "suffix": "", **_selector(self, quote)},
            **extra,
        )

    @cached_property
    def annotation(self):
        return self._annotate("comment", "Statins lower LDL cholesterol")

    @cached_property
    def resolved(self):
        return annotation_services.resolve_annotation(
            self._annotate("comment", "From the Research"), actor=self.users["board"]
        )

    @cached_property
    def safety(self):
        """A blocking concern, resolved: the article's author may not reopen it."""
        return annotation_services.resolve_annotation(
            self._annotate("safety", "From the Guidelines"), actor=self.users["board"]
        )

    @cached_property
    def suggestion(self):
        return self._annotate("suggestion", "LDL cholesterol", suggestion="LDL-cholesterol")

    @cached_property
    def assignment(self):
        return Assignment.objects.get(article=self.article, reviewer=self.users["board"])

    @cached_property
    def draft(self):
        """A draft of the author's, never submitted: board members do not see it."""
        return make_article(self.users["author"], title="Should adults take vitamin D?")

    @cached_property
    def published(self):
        """A second article of the author's, submitted and published (v1 live)."""
        author, editor = self.users["author"], self.users["editor"]
        published = make_article(author, title="Is aspirin still advised?", publication_policy="immediate")
        workflow.submit_article(published, actor=author)
        with self._capture_on_commit(execute=True):
            publishing.request_publication(published, actor=editor)
        published = Article.objects.select_related("live_version", "current_revision").get(pk=published.pk)
        assert published.live_version is not None, "the publishing task did not make a version"
        return published

    @cached_property
    def scheduled(self):
        """A publication the editor may cancel (the service schedules only a revision not yet live: a row)."""
        return PublishRequest.objects.create(
            article=self.published,
            revision=self.published.current_revision,
            requested_by=self.users["editor"],
            publish_at=timezone.now() + datetime.timedelta(days=1),
            status=PublishRequestStatus.SCHEDULED,
        )

    @cached_property
    def report(self):
        version = self.published.live_version
        version.article = self.published
        report = submit_reader_report(version, kind="problem", message="The dose looks wrong.", client="192.0.2.7")
        cache.clear()  # the reports counter of that client
        return report

    @cached_property
    def dead_message(self):
        """Work that failed for good: editors retry it from their desk."""
        outbox.enqueue("notify", {"kind": "submitted", "event_key": "matrix:dead", "recipient_ids": [],
                                  "subject": "s", "body": "b"}, dedupe_key="matrix:dead")  # fmt: skip
        OutboxMessage.objects.filter(dedupe_key="matrix:dead").update(status=OutboxStatus.DEAD)
        return OutboxMessage.objects.get(dedupe_key="matrix:dead")

    @cached_property
    def notification(self):
        return Notification.objects.create(
            recipient=self.users["author"],
            kind=NotificationKind.SUBMITTED,
            event_key="matrix:submitted",
            article_id=self.article.pk,
            subject="Your article was submitted",
            body="It is under review.",
            url=f"/api/v1/articles/{self.article.pk}/",
        )


@pytest.fixture
def world(author, other_author, editor, auditor, board, board2, django_capture_on_commit_callbacks):
    users = {
        "anonymous": None,
        "author": author,
        "other_author": other_author,
        "board": board,
        "board_outsider": board2,
        "editor": editor,
        "auditor": auditor,
    }
    return World(users, django_capture_on_commit_callbacks)


@pytest.fixture
def refusals(monkeypatch):
    """The refusals the services raised inside a page's `attempt` (shown to the user as a message)."""
    caught: list[EditorialError] = []
    original = web_common.attempt

    def watching(request, service, *args, **kwargs):
        def watched(*a, **k):
            try:
                return service(*a, **k)
            except EditorialError as error:
                caught.append(error)
                raise

        return original(request, watched, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("editorial.web") and getattr(module, "attempt", None) is original:
            monkeypatch.setattr(module, "attempt", watching)
    return caught


# -- asking -----------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # for a page, the status of the service's refusal when there was one
    text: str  # what to show when it is not the expected one
    location: str = ""
    error_body_ok: bool = True


@pytest.fixture(scope="session")
def clients() -> dict:
    """One page client and one API client for the whole run, reused by every principal: their middleware is
    loaded once (WhiteNoise reads every static file when it starts). Each request says who is signed in."""
    return {"api": APIClient(), "page": Client()}


def _signed_in(clients: dict, is_api: bool, user):
    client = clients["api" if is_api else "page"]
    client.cookies = SimpleCookie()
    if is_api:
        client.credentials()
        if user is not None:
            _, token = AuthToken.objects.create(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    elif user is not None:
        # The session Django's login() writes, without its user_logged_in signal: django-axes would record
        # the address of force_login()'s bare request, "unknown", which PostgreSQL refuses as an address.
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = "editorial.accounts.RoleBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def _send(client, is_api: bool, method: str, url: str, body: dict | None):
    if is_api:
        return getattr(client, method.lower())(url, body, format="json") if body is not None else client.get(url)
    if method == "GET":
        return client.get(url)
    if method == "PUT":
        return client.put(url)  # a browser form never sends one; no form data
    return client.post(url, body or {})


def ask(entry: str, w, user, refusals: list, clients: dict) -> Answer:
    """One principal's request, in a savepoint rolled back afterwards: the next one meets the same objects."""
    name, method, _variant = split(entry)
    is_api = ROUTES_BY_NAME[name].path.startswith("/api/")
    url = entry_url(entry, w)
    ask_ = ASKS.get(entry, Ask())
    body = ask_.body(w) if ask_.body else None
    client = _signed_in(clients, is_api, user)
    refusals.clear()
    with transaction.atomic():
        response = _send(client, is_api, method, url, body)
        transaction.set_rollback(True)
    cache.clear()  # sign-in and report counters, rendered pages: every request starts afresh
    status = response.status_code
    text = f"{status} {method} {url}"
    location = response.get("Location", "") if status in (301, 302, 303) else ""
    if location:
        text += f" -> {location}"
    error_body_ok = True
    if is_api and status >= 400:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        error_body_ok = (
            isinstance(payload, dict)
            and isinstance(payload.get("detail"), str)
            and bool(payload["detail"])
            and isinstance(payload.get("code"), str)
            and bool(payload["code"])
        )
        text += f" {payload!r}"[:300]
    if not is_api and refusals:
        refusal = refusals[0]
        text += f" (page showing the service's {refusal.status_code} {refusal.code}: {refusal.detail})"
        status = refusal.status_code
    return Answer(status, text, location, error_body_ok)


def matches(expected, answer: Answer) -> bool:
    sign_in = resolve_url(settings.LOGIN_URL)
    to_sign_in = answer.status == 302 and urlsplit(answer.location).path == sign_in
    if expected == SIGN_IN:
        return to_sign_in
    if to_sign_in:
        return False  # a signed-in principal sent to sign in again, or a public page behind sign-in
    allowed = expected if isinstance(expected, frozenset) else {expected}
    return answer.status in allowed and answer.error_body_ok


def _show(expected) -> str:
    if isinstance(expected, frozenset):
        return " or ".join(str(e) for e in sorted(expected))
    return str(expected)


def check(entry: str, principals, w, refusals, clients) -> list[str]:
    row = dict(zip(PRINCIPALS, EXPECTED[entry], strict=True))
    wrong = []
    for principal in principals:
        answer = ask(entry, w, w.users[principal], refusals, clients)
        if not matches(row[principal], answer):
            why = "" if answer.error_body_ok else ' (error body is not {"detail", "code"})'
            wrong.append(f"{entry} × {principal}: expected {_show(row[principal])}, got {answer.text}{why}")
    return wrong


# -- the tests --------------------------------------------------------------------------------------------


def test_every_route_has_an_entry_and_every_entry_a_route(record_property):
    routes = collect_routes()
    problems = [f"{route.path}: a route without a name cannot have an entry" for route in routes if not route.name]
    problems += [
        f"{route.path} ({route.name}): a function view without a method decorator; "
        "write its methods in UNDECORATED_VIEW_METHODS"
        for route in routes
        if route.methods is None
    ]
    names = [route.name for route in routes if route.name]
    problems += [f"{name}: two routes with one name" for name in sorted({n for n in names if names.count(n) > 1})]
    found = {(route.name, method) for route in routes if route.name for method in route.methods or ()}
    entered = {split(entry)[:2] for entry in EXPECTED}
    problems += [f"{name} {method}: a route without an entry in EXPECTED" for name, method in sorted(found - entered)]
    problems += [f"{name} {method}: an entry for no route" for name, method in sorted(entered - found)]
    problems += [f"{entry}: in ASKS but not in EXPECTED" for entry in sorted(set(ASKS) - set(EXPECTED))]
    problems += [
        f"{entry}: a write without a body in ASKS"
        for entry in EXPECTED
        if split(entry)[1] != "GET" and ASKS.get(entry, Ask()).body is None
    ]
    problems += [f"{cell}: a finding for no cell" for cell in FINDINGS if cell[0] not in EXPECTED]
    assert all(len(row) == len(PRINCIPALS) for row in EXPECTED.values())
    assert not problems, "\n".join(problems)
    record_property("authorization_matrix_size", len(EXPECTED) * len(PRINCIPALS))


ENTRIES = list(EXPECTED)


@pytest.mark.parametrize("entry", ENTRIES)
def test_route_answers_each_principal_as_the_contract_says(entry, world, refusals, clients, record_property):
    principals = [p for p in PRINCIPALS if (entry, p) not in FINDINGS]
    record_property("authorization_cells", len(principals))
    wrong = check(entry, principals, world, refusals, clients)
    assert not wrong, "\n".join(wrong)


FINDING_CELLS = [
    pytest.param(entry, principal, id=f"{entry}-{principal}", marks=pytest.mark.xfail(strict=True, reason=why))
    for (entry, principal), (_answers, why) in FINDINGS.items()
]


@pytest.mark.skipif(not FINDING_CELLS, reason="no known findings")
@pytest.mark.parametrize(("entry", "principal"), FINDING_CELLS or [("", "")])
def test_known_finding(entry, principal, world, refusals, clients, record_property):
    record_property("authorization_cells", 1)
    wrong = check(entry, [principal], world, refusals, clients)
    assert not wrong, "\n".join(wrong)
