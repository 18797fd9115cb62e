"""Conditional GET for the public pages: an ETag and Last-Modified from what the page depends on."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.contrib import messages
from django.middleware.csrf import get_token
from django.template.loader import get_template

from .selectors import Fingerprint, fingerprint

# Part of every ETag, with a digest of the page's templates: a deploy that changes the markup changes it.
PAGE_VERSION = "public-1"
PAGE_TEMPLATES = (
    "base.html",
    "editorial/public/article.html",
    "editorial/public/_reference.html",
    "editorial/public/_feedback.html",
)


def _conditional_key(request, slug: str, number: int | None = None) -> Fingerprint | None:
    """The fingerprint when the page may be answered with 304, else None (no ETag, the view runs).

    Signed-in users see their own header, and a page carrying a one-time message must be shown afresh.
    """
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    found = fingerprint(request, slug, number)
    if found is None or found.retracted:
        return None
    return found


@functools.cache
def _templates_digest() -> str:
    digest = hashlib.sha256(PAGE_VERSION.encode())
    for name in PAGE_TEMPLATES:
        digest.update(Path(get_template(name).origin.name).read_bytes())
    return digest.hexdigest()[:16]


def _csrf_secret(request) -> str:
    """The page carries a CSRF token for its forms, so a browser with another CSRF cookie needs a fresh page.

    `get_token` makes the secret now when the browser has none (the middleware sends it as the cookie), so
    the first response's ETag already matches the browser's next request.
    """
    get_token(request)
    return request.META.get("CSRF_COOKIE", "")


def etag(request, slug: str, number: int | None = None, *, audience: str = "") -> str | None:
    found = _conditional_key(request, slug, number)
    if found is None:
        return None
    parts = [
        _templates_digest(),
        "live" if number is None else "version",
        *(str(found.values[k]) for k in sorted(found.values)),
        audience,
        _csrf_secret(request),
    ]
    return '"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40] + '"'


def last_modified(request, slug: str, number: int | None = None):
    found = _conditional_key(request, slug, number)
    return found.last_modified() if found else None
