"""Versions of the public pages, for caches keyed by what changes a page (no purging).

Each public article page is cached under its article's current token; any change to the article (every
audited event about it: a publication, a retraction, a decision, a transition) replaces the token, so the
next request misses and renders afresh. The token is replaced when the change is made and again after it
commits: a page rendered from the state before the commit, but stored after it, is stored under a token
already replaced, and never served. The index has a token of its own, replaced on any such change.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

INDEX = "editorial:page-token:index"


def token_key(slug: str) -> str:
    return f"editorial:page-token:article:{slug}"


def _slug_key(article_id: int) -> str:
    return f"editorial:page-slug:{article_id}"


def token(slug: str) -> str:
    """The article page's current token (a new one when the cache has none)."""
    key = token_key(slug)
    current = cache.get(key)
    if current is None:
        cache.add(key, uuid.uuid4().hex, None)
        current = cache.get(key)
    return current


def index_token() -> str:
    current = cache.get(INDEX)
    if current is None:
        cache.add(INDEX, uuid.uuid4().hex, None)
        current = cache.get(INDEX)
    return current


def remember(article_id: int, slug: str) -> None:
    """Called when a page is cached: which slug's token an event about this article must replace."""
    cache.set(_slug_key(article_id), slug, None)


def _replace(article_id: int) -> None:
    slug = cache.get(_slug_key(article_id))
    fresh = uuid.uuid4().hex
    if slug is not None:  # no page of this article was ever cached: nothing to replace
        cache.set(token_key(slug), fresh, None)
    cache.set(INDEX, fresh, None)


def changed(article_id: int | None) -> None:
    """An article changed (inside the transaction of the change): its pages' token is replaced now and after
    the commit."""
    if article_id is None:
        return
    _replace(article_id)
    transaction.on_commit(lambda: _replace(article_id), robust=True)
