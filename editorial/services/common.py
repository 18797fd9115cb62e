"""Helpers the services share: locking an article, and its snapshot for audit events."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable

from django.db import connection, transaction

from articles.models import Article, Revision
from editorial.exceptions import InvalidInput


def lock_article(article_or_id: Article | int) -> Article:
    """Re-read the article under a row lock (PostgreSQL); SQLite's IMMEDIATE transaction already serialises.

    An article the API view has just read under its lock, in the transaction still open (`locked_request`),
    is not read again.
    """
    if isinstance(article_or_id, Article) and locked_in_this_request(article_or_id):
        return article_or_id
    pk = article_or_id.pk if isinstance(article_or_id, Article) else article_or_id
    article = (
        Article.objects.select_for_update(no_key=True, of=("self",))
        .select_related("current_revision", "created_by")
        .get(pk=pk)
    )
    return _fresh_revision(article)


def _fresh_revision(article: Article) -> Article:
    """PostgreSQL, after waiting for the lock, returns the newest article row but joins it against the
    statement's older snapshot: a revision or a version made by the writer it waited for comes back None.
    Each related object read with the row that does not match its key is read again (or on first use)."""
    cached = article._state.fields_cache
    for field in article._meta.concrete_fields:
        if field.is_relation and field.name in cached:
            related = cached[field.name]
            if getattr(related, "pk", None) != getattr(article, field.attname):
                del cached[field.name]
    if article.current_revision_id is not None and "current_revision" not in cached:
        article.current_revision = Revision.objects.get(pk=article.current_revision_id)
    return article


def service_transaction(function: Callable) -> Callable:
    """`transaction.atomic` for a service function; inside `locked_request` without a savepoint of its own
    (two statements saved: any failure there ends the whole request's transaction anyway)."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        savepoint = getattr(connection, "editorial_lock_scope", None) is None
        with transaction.atomic(savepoint=savepoint):
            return function(*args, **kwargs)

    return run


@contextlib.contextmanager
def locked_request():
    """One transaction for a write request, in which the view may read its article under the lock once
    (`lock_visible_article`) and the service then uses it without reading it again."""
    with transaction.atomic():
        scope = object()
        connection.editorial_lock_scope = scope
        try:
            yield
        finally:
            connection.editorial_lock_scope = None


def lock_visible_article(articles, pk: int) -> Article:
    """The article of `articles` (the user's visible ones) under its row lock, inside `locked_request`."""
    scope = getattr(connection, "editorial_lock_scope", None)
    if scope is None or not connection.in_atomic_block:
        raise RuntimeError("lock_visible_article() must run inside locked_request()")
    article = _fresh_revision(articles.select_for_update(no_key=True, of=("self",)).get(pk=pk))
    article._locked_in = scope
    return article


def locked_in_this_request(article: Article) -> bool:
    scope = getattr(article, "_locked_in", None)
    return scope is not None and scope is getattr(connection, "editorial_lock_scope", None)


def require_reason(reason: str | None, what: str, field: str = "comment") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"A reason is required to {what}.", errors={field: ["This field is required."]})
    return reason


# Every line boundary str.splitlines knows: a title goes into email subjects, page titles and feeds.
LINE_BREAK = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
ONE_LINE = "Must be one line: remove the line breaks."


def refuse_line_breaks(field: str, value: str) -> None:
    """400 naming `field` when a value that must be one line (a title) holds a line break."""
    if LINE_BREAK.search(value or ""):
        raise InvalidInput(f"The {field} must be one line.", "invalid", errors={field: [ONE_LINE]})
