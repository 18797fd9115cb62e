"""Reads for the public pages: the version on screen, its versions list, its rendered HTML, the index."""

from __future__ import annotations

from django.db.models import F
from django.http import Http404

from articles.models import Article, PublishedVersion


def live_version(slug: str) -> tuple[Article, PublishedVersion | None]:
    article = Article.objects.select_related("live_version__revision").filter(slug=slug).first()
    if article is None:
        raise Http404("No such article.")
    return article, article.live_version


def version_by_number(slug: str, number: int) -> PublishedVersion:
    version = (
        PublishedVersion.objects.select_related("article", "revision").filter(article__slug=slug, number=number).first()
    )
    if version is None:
        raise Http404("No such version.")
    return version


def latest_version(article: Article) -> PublishedVersion | None:
    return (
        PublishedVersion.objects.select_related("revision")
        .defer("html")
        .filter(article=article)
        .order_by("-number")
        .first()
    )


def version_list(article: Article) -> list[PublishedVersion]:
    return list(
        PublishedVersion.objects.filter(article=article)
        .select_related("revision")
        .only("number", "published_at", "retracted_at", "article_id", "revision_id", "revision__change_summary")
        .order_by("-number")
    )


def live_versions():
    """Every article's live version, most recently published first (the public index)."""
    return (
        PublishedVersion.objects.filter(article__live_version=F("pk"))
        .select_related("article", "revision")
        .defer("html", "revision__body", "revision__text")
        .order_by("-published_at", "-pk")
    )
