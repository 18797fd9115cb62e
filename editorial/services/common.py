"""Helpers the services share: locking an article, and its snapshot for audit events."""

from __future__ import annotations

from articles.models import Article


def lock_article(article_or_id: Article | int) -> Article:
    """Re-read the article under a row lock (PostgreSQL); SQLite's IMMEDIATE transaction already serialises."""
    pk = article_or_id.pk if isinstance(article_or_id, Article) else article_or_id
    return Article.objects.select_for_update(of=("self",)).select_related("current_revision").get(pk=pk)


def require_reason(reason: str | None, what: str) -> str:
    from editorial.exceptions import InvalidInput

    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"A reason is required to {what}.", errors={"comment": ["This field is required."]})
    return reason
