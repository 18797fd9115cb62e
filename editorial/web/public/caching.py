"""The public pages as a CDN can serve them: the same bytes for every anonymous reader, cached whole.

For a reader without a session (no session cookie), `PublicPageCache` answers the article pages, their
versions and the index from the cache with no database query: the cached entry is valid while its page
token is current (editorial.page_versions replaces the token whenever the article changes, so a publication,
a retraction or a decision shows at once, and nothing is ever purged). On a miss the view renders, and the
response is stored under the token read before the view touched the database. Responses carry
`Cache-Control: public` with a short `max-age` and `stale-while-revalidate`, and an ETag derived from the
token that any client can revalidate (304). No cookie and no CSRF token is in these pages: the reader forms
are protected otherwise (views.reader_report). Signed-in users (a session cookie) get their own, uncached
page. A CDN in front should bypass its cache when the session cookie is present.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.template.loader import get_template
from django.utils.cache import patch_cache_control

from editorial import page_versions

from .forms import FEEDBACK_FORMS

# Part of every key, with a digest of the pages' templates: a deploy that changes the markup changes them.
PAGE_VERSION = "public-2"
PAGE_TEMPLATES = (
    "base.html",
    "editorial/public/article.html",
    "editorial/public/_reference.html",
    "editorial/public/_feedback.html",
    "editorial/public/index.html",
    "editorial/public/retracted.html",
)
PUBLIC_PATH = re.compile(r"^/articles/(?:(?P<slug>[-a-zA-Z0-9_]+)/(?:v/(?P<number>[0-9]+)/)?)?$")
AUDIENCES = ("professional", "patient", "student")
SENT = tuple(kind for kind, *_ in FEEDBACK_FORMS)
MAX_AGE = 300  # seconds a shared cache may serve a page without asking again (API.md: at most 300)
STALE_WHILE_REVALIDATE = 60
CACHEABLE_STATUSES = (200, 410)
ENTRY_TIMEOUT = 24 * 3600  # bounds what an unreachable entry occupies
HELD_BYTES = 32 * 2**20  # pages held in each process's memory, the least recently served dropped first


@functools.cache
def templates_digest() -> str:
    digest = hashlib.sha256(PAGE_VERSION.encode())
    for name in PAGE_TEMPLATES:
        digest.update(Path(get_template(name).origin.name).read_bytes())
    return digest.hexdigest()[:16]


def _variant(request, slug: str | None) -> str:
    """The query parameters a page varies by (anything else is ignored, so it cannot bust the cache)."""
    if slug is None:
        page = request.GET.get("page", "")
        return f"page={page}" if page.isdigit() else ""
    audience = request.GET.get("audience", "")
    sent = request.GET.get("sent", "")
    return f"audience={audience if audience in AUDIENCES else ''}&sent={sent if sent in SENT else ''}"


def _public_request(request):
    """(slug or None for the index, number or None, variant) when this request may use the shared cache."""
    if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    match = PUBLIC_PATH.match(request.path_info)
    if match is None:
        return None
    slug, number = match.group("slug"), match.group("number")
    return slug, number, _variant(request, slug)


def _keys(slug: str | None, number: str | None, variant: str) -> tuple[str, str]:
    page = f"editorial:page:{templates_digest()}:{slug or '-index-'}:{number or 'live'}:{variant}"
    token = page_versions.INDEX if slug is None else page_versions.token_key(slug)
    return page, token


def _etag(token: str, page_key: str) -> str:
    return '"' + hashlib.sha256(f"{token}\x1f{page_key}".encode()).hexdigest()[:40] + '"'


def public_headers(response: HttpResponse) -> None:
    patch_cache_control(response, public=True, max_age=MAX_AGE, stale_while_revalidate=STALE_WHILE_REVALIDATE)


def _not_modified(request, etag: str) -> bool:
    sent = request.META.get("HTTP_IF_NONE_MATCH", "")
    return sent == "*" or etag in [tag.strip() for tag in sent.split(",")]


def _from_entry(request, entry: dict) -> HttpResponse:
    if _not_modified(request, entry["etag"]):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(entry["content"], status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    return response


class HeldPages:
    """Cache entries held in this process's memory, least recently served dropped first. An entry is served
    only while its token is current, so nothing here needs to be dropped when a page changes."""

    def __init__(self, max_bytes: int = HELD_BYTES) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._entries: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old["content"])
            self._entries[key] = entry
            self.size += len(entry["content"])
            while self.size > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped["content"])


held_pages = HeldPages()
# A lock held by a thread of the parent at a fork would never be released in the child.
os.register_at_fork(after_in_child=lambda: setattr(held_pages, "_lock", threading.Lock()))


class PublicPageCache:
    """Serve anonymous public pages from the cache (no query on a hit); store what the views render."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        public = _public_request(request)
        if public is None:
            return self.get_response(request)
        page_key, token_key = _keys(*public)
        tracked = page_versions.tracked()
        # The token held in this process (no round trip), else read with the entry in one round trip.
        token = tracked.known(token_key) if tracked is not None else None
        entry = held_pages.get(page_key)
        if token is not None and entry is not None and entry["token"] == token:
            return _from_entry(request, entry)
        if token is None:
            # One round trip: the token, and the entry too unless one is held here already.
            generation = tracked.generation() if tracked is not None else 0
            found = cache.get_many([token_key] if entry is not None else [token_key, page_key])
            token = found.get(token_key)
            entry = entry or found.get(page_key)
            if tracked is not None:
                tracked.keep(token_key, token, generation)
        if token is not None and (entry is None or entry["token"] != token):
            entry = cache.get(page_key)  # the entry held here is for an older token
        if entry is not None and token is not None and entry["token"] == token:
            held_pages.put(page_key, entry)
            return _from_entry(request, entry)
        # The token is read before the view reads the database (page_versions explains why).
        token = token or (page_versions.index_token() if public[0] is None else page_versions.token(public[0]))
        response = self.get_response(request)
        if response.status_code not in CACHEABLE_STATUSES or response.cookies or response.streaming:
            return response
        etag = _etag(token, page_key)
        response["ETag"] = etag
        public_headers(response)
        headers = [(name, value) for name, value in response.items() if name.lower() != "content-length"]
        entry = {
            "token": token,
            "status": response.status_code,
            "content": response.content,
            "headers": headers,
            "etag": etag,
        }
        cache.set(page_key, entry, ENTRY_TIMEOUT)
        held_pages.put(page_key, entry)
        if _not_modified(request, etag):
            return _from_entry(request, entry)
        return response
