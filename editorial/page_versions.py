"""Versions of the public pages, for caches keyed by what changes a page (no purging).

Each public article page is cached under its article's current token; any change to the article (every
audited event about it: a publication, a retraction, a decision, a transition) replaces the token, so the
next request misses and renders afresh. The token is replaced when the change is made and again after it
commits: a page rendered from the state before the commit, but stored after it, is stored under a token
already replaced, and never served. The index has a token of its own, replaced on any such change.

A transaction that records many events about one article replaces its token twice, not twice an event:
when the transaction (or a nested atomic block) first changes the article, and after it commits. Replacing
it again in between would add nothing: a page rendered meanwhile shows the state from before the
transaction, and is stored under a token the replacement after the commit makes stale.

With Redis, each process holds the tokens it has read, and drops one the moment Redis reports it replaced
(editorial.tracked_keys): a page served from the cache then costs no round trip.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import connection, transaction

from . import tracked_keys

TOKENS = "editorial:page-token:"
INDEX = f"{TOKENS}index"


def token_key(slug: str) -> str:
    return f"{TOKENS}article:{slug}"


def tracked() -> tracked_keys.TrackedKeys | None:
    """The tokens held in this process while Redis reports their changes (None: read them from the cache)."""
    return tracked_keys.for_cache(TOKENS)


def _slug_key(article_id: int) -> str:
    return f"editorial:page-slug:{article_id}"


def token(slug: str) -> str:
    """The article page's current token (a new one when the cache has none)."""
    return current(token_key(slug))


def index_token() -> str:
    return current(INDEX)


def current(key: str) -> str:
    """The token stored under `key`: held in this process, or read from the cache (a new one when it has none)."""
    held = tracked()
    if held is not None:
        value = held.known(key)
        if value is not None:
            return value
        generation = held.generation()
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, None)
        value = cache.get(key)
    if held is not None:
        held.keep(key, value, generation)
    return value


def remember(article_id: int, slug: str) -> None:
    """Called when a page is cached: which slug's token an event about this article must replace."""
    cache.set(_slug_key(article_id), slug, None)


def _replace(article_id: int) -> None:
    slug = cache.get(_slug_key(article_id))
    fresh = uuid.uuid4().hex
    replaced = [INDEX] if slug is None else [token_key(slug), INDEX]  # no page of it cached: its token stays
    cache.set_many(dict.fromkeys(replaced, fresh), None)
    held = tracked()
    if held is not None:
        for key in replaced:
            held.forget(key)


def changed(article_id: int | None) -> None:
    """An article changed (inside the transaction of the change): its pages' token is replaced now, unless
    this transaction already did, and after the commit."""
    if article_id is None:
        return
    pending = _pending_replacements()
    callback = pending.get(article_id)
    if callback is not None and _still_pending(callback):
        return
    _replace(article_id)

    def replace_after_commit() -> None:
        if pending.get(article_id) is replace_after_commit:
            del pending[article_id]
        _replace(article_id)

    pending[article_id] = replace_after_commit
    transaction.on_commit(replace_after_commit, robust=True)


def _pending_replacements() -> dict:
    """The replacements this connection's transaction has asked for after its commit, by article."""
    pending = getattr(connection, "_editorial_page_replacements", None)
    if pending is None:
        pending = connection._editorial_page_replacements = {}
    elif not connection.run_on_commit:
        pending.clear()  # committed or rolled back since: none of them is pending any more
    return pending


def _still_pending(callback) -> bool:
    """Whether the replacement is still to run after the commit, asked for in the same atomic block as now.

    Django drops the callbacks of a savepoint rolled back, and all of them when the transaction ends (after
    running them on commit): a replacement asked for there no longer stands. A nested atomic block asks
    again: it may be rolled back alone, and in the tests, whose transaction never commits, each service call
    (a savepoint there) stands for a transaction of its own.
    """
    current = set(connection.savepoint_ids)
    return any(entry[1] is callback and entry[0] == current for entry in reversed(connection.run_on_commit))
