"""Reads of articles: who may see which, with the related rows a page or endpoint needs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Article


def visible_articles(user) -> QuerySet[Article]:
    """Articles the user may see: editors and auditors all; board members once submitted; authors their own."""
    articles = Article.objects.select_related("current_revision", "created_by", "live_version")
    if not user.is_authenticated or not user.is_active:
        return articles.none()
    if user.has_perm("articles.view_any_article"):
        return articles
    condition = Q(created_by=user)
    if user.has_perm("articles.decide_article"):
        condition |= Q(first_submitted_at__isnull=False)
    return articles.filter(condition)
