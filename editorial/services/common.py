"""Helpers the services share: locking an article, and its snapshot for audit events."""

from __future__ import annotations

import re

from articles.models import Article, Revision
from editorial.exceptions import InvalidInput


def lock_article(article_or_id: Article | int) -> Article:
    """Re-read the article under a row lock (PostgreSQL); SQLite's IMMEDIATE transaction already serialises."""
    pk = article_or_id.pk if isinstance(article_or_id, Article) else article_or_id
    article = Article.objects.select_for_update(of=("self",)).select_related("current_revision").get(pk=pk)
    if article.current_revision_id != getattr(article.current_revision, "pk", None):
        # PostgreSQL, after waiting for the lock, returns the newest article row but joins it against
        # the statement's older snapshot: a revision made by the writer it waited for comes back None.
        article.current_revision = Revision.objects.get(pk=article.current_revision_id)
    return article


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
