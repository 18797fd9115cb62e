"""Helpers for the hostile-input tests: API and page clients, the outbox, page checks, payload packing."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable
from importlib import import_module

from django.conf import settings
from django.contrib.auth import login
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from articles.rendering import render_body
from editorial.models import OutboxMessage, OutboxStatus
from editorial.outbox import run_message

from . import tally
from .inert import assert_inert, parse, sentinels
from .xss_corpus import PAYLOADS, sentinel

API = "/api/v1/articles/"

# The routes each page's own forms post to (resolved URL names); every signed-in page also signs out.
FORMS = {
    "public article": {"reader-report"},
    "public version": {"reader-report"},
    "public 400 (form echoed)": {"reader-report"},
    "workspace": {"workspace", "workspace-transition", "annotation-create", "annotation-action", "workspace-conflict"},
    "editor article": {
        "editor-assign",
        "editor-publish",
        "editor-cancel-publish",
        "editor-retract",
        "editor-start-review",
        "editor-rereview",
        "editor-settings",
    },
    "reader reports": {"reader-report-triage", "reader-report-draft-request"},
    "inbox": {"inbox-read", "inbox-read-all"},
    "audit log": {"audit-log"},
    "audit timeline": {"audit-article"},
    "audit live": {"audit-live"},
    "audit verify": {"audit-verify"},
    "review queue": {"assignment-respond"},
    "author preview": set(),
}


# One client per user and kind for a test: a new test client loads the middleware again (whitenoise scans the
# static files each time), which would cost more than the page it fetches.
_CLIENTS: dict[tuple, Client] = {}


def reset_clients() -> None:
    _CLIENTS.clear()


def api_as(user) -> APIClient:
    key = ("api", user.pk)
    if key not in _CLIENTS:
        client = APIClient()
        _, token = AuthToken.objects.create(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        _CLIENTS[key] = client
    return _CLIENTS[key]


class _Client(Client):
    def _login(self, user, backend=None):
        """Django's force_login, from an address: django-axes records each sign-in with the client's address,
        and Django's stand-in request has none ('unknown', which PostgreSQL's inet column refuses)."""
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        request.session = self.session or import_module(settings.SESSION_ENGINE).SessionStore()
        login(request, user, backend)
        request.session.save()
        self._set_login_cookies(request)


def web_as(user=None) -> Client:
    key = ("web", getattr(user, "pk", None))
    if key not in _CLIENTS:
        client = _Client()
        if user is not None:
            client.force_login(user)
        _CLIENTS[key] = client
    return _CLIENTS[key]


def with_email(*users) -> None:
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def expect(response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.content[:2000])
    if response.get("Content-Type", "").startswith(("application/json", "application/ld+json")):
        assert response["X-Content-Type-Options"] == "nosniff"
        return response.json()
    return {}


def drain() -> list[tuple[str, str]]:
    """Run the outbox's pending work in-process (publications, notifications, emails), as the relay does after
    a commit; returns the messages that failed, with their errors."""
    for _ in range(20):
        pending = list(OutboxMessage.objects.filter(status=OutboxStatus.PENDING).values_list("pk", flat=True))
        if not pending:
            break
        for message_id in pending:
            with contextlib.suppress(Exception):  # a failure stays pending, and is returned below
                run_message(message_id)
    return list(OutboxMessage.objects.exclude(status=OutboxStatus.DONE).values_list("kind", "last_error"))


def check_page(response, page: str, *, status: int = 200, signed_in: bool = True, where: str = "") -> set[str]:
    """The page is inert (assert_inert, with its own forms allowed); its sentinels are recorded as checks."""
    assert response.status_code == status, (where or page, response.status_code, response.content[:500])
    html = response.content.decode()
    allowed = FORMS.get(page, set()) | ({"logout"} if signed_in else set())
    parsed = parse(html)
    assert_inert(html, allowed_forms=allowed, where=where or page, page=parsed)
    found = sentinels(html, parsed)
    tally.record_found(found, page)
    return found


def check_fragment(html: str, page: str, where: str = "") -> set[str]:
    """An HTML fragment the API returns (a rendered revision, a diff table): inert, no forms at all."""
    parsed = parse(html)
    assert_inert(html, allowed_forms=set(), where=where or page, page=parsed)
    found = sentinels(html, parsed)
    tally.record_found(found, page)
    return found


def check_mail(start: int = 0) -> set[str]:
    """Every email sent since `start`: the HTML part inert, the text part plain text; sentinels recorded."""
    found_all: set[str] = set()
    for message in mail.outbox[start:]:
        assert "\n" not in message.subject and "\r" not in message.subject, message.subject
        assert message.content_subtype == "plain"
        text_found = {t for t in sentinels_in_text(message.body)}
        tally.record_found(text_found, "email text")
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        found = check_fragment(html, "email HTML", where=f"email {message.subject[:60]!r}")
        found_all |= found | text_found
    return found_all


def sentinels_in_text(text: str) -> set[str]:
    from .xss_corpus import SENTINEL

    return {m.group(0) for m in SENTINEL.finditer(text)}


def all_pages(client: Client, url: str, page: str, where: str = "", **kwargs) -> set[str]:
    """A paginated page, every page of it (the template links the next one with rel="next" or "Older")."""
    found: set[str] = set()
    number = 1
    while True:
        separator = "&" if "?" in url else "?"
        response = client.get(f"{url}{separator}page={number}")
        found |= check_page(response, page, where=f"{where or page} page {number}", **kwargs)
        html = response.content.decode()
        if 'rel="next"' not in html and ">Older</a>" not in html:
            return found
        number += 1


def need(found: set[str], code: str, indexes: Iterable[int], where: str, *, every: bool = True) -> None:
    """The field's payloads are shown there (every one, or at least one): the check is not vacuous."""
    wanted = {sentinel(code, i) for i in indexes}
    assert wanted, f"{where}: nothing to look for"
    if every:
        missing = sorted(wanted - found)
        assert not missing, f"{where}: {len(missing)} {tally.FIELDS[code]} payloads not shown, e.g. {missing[:5]}"
    else:
        assert wanted & found, f"{where}: no {tally.FIELDS[code]} payload shown"


def strings_of(data) -> set[str]:
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return set().union(*(strings_of(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(strings_of(v) for v in data)) if data else set()
    return set()


def api_returns(data, values: dict[str, str], code: str, indexes: Iterable[int], where: str) -> None:
    """The API gives each stored text back as a JSON string, exactly as it was stored (DRF trims the ends)."""
    strings = strings_of(data)
    for name, value in values.items():
        assert value.strip() in strings, f"{where}: {name} not returned as the text stored"
    tally.record(code, indexes, "API JSON")


# -- packing payloads into fields ------------------------------------------------------------------------------


def entry(code: str, index: int, separator: str = " ") -> str:
    return f"{sentinel(code, index)}{separator}{PAYLOADS[index]}"


def pack(
    code: str, indexes: Iterable[int], limit: int, joiner: str = "\n", most: int = 10_000
) -> list[tuple[str, list]]:
    """Payloads with their sentinels, joined into texts of at most `limit` characters (and `most` payloads)."""
    packed: list[tuple[str, list]] = []
    text, group = "", []
    for i in indexes:
        item = entry(code, i)
        trial = f"{text}{joiner}{item}" if group else item
        if group and (len(trial) > limit or len(group) >= most):
            packed.append((text, group))
            text, group = item, [i]
        else:
            text, group = trial, [*group, i]
        assert len(text) <= limit, (code, i, len(text))
    if group:
        packed.append((text, group))
    return packed


@functools.cache
def swallows(index: int) -> bool:
    """Whether the payload, rendered as Markdown, hides what follows it (an unclosed comment or raw-text element):
    such payloads go last in a body, so the others are rendered from a clean context."""
    return "zQQ000z" not in render_body(f"{PAYLOADS[index]}\n\nzQQ000z").text


def markdown_body(indexes: list[int], code: str = "BO") -> tuple[str, int]:
    """A body holding the payloads in separate paragraphs (each after its sentinel), citing [1]..[n] first;
    n is at least what the payloads themselves cite, so that the article can be submitted."""
    ordered = sorted(indexes, key=swallows)
    parts = "\n\n".join(f"{sentinel(code, i)}\n\n{PAYLOADS[i]}" for i in ordered)
    count = max([len(indexes), 2, *render_body(parts).citations])
    line = "Cited " + " ".join(f"[{n}]" for n in range(1, count + 1)) + "."
    return f"{line}\n\n{parts}", count


def references(indexes: list[int], count: int) -> list[dict]:
    """One reference per payload (its citation and DOI hold it), then plain ones up to `count`."""
    refs = [
        {
            "kind": ("guideline", "research")[n % 2],
            "citation": entry("CI", i),
            "year": 2020,
            "doi": entry("DO", i),
        }
        for n, i in enumerate(indexes)
    ]
    refs += [{"kind": "research", "citation": f"Plain reference {n}", "year": 2021} for n in range(len(refs), count)]
    return refs


def page_text(html: str) -> str:
    return " ".join(parse(html).text.split())
