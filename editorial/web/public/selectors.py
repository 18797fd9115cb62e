"""Reads for the public pages: the version on screen, its versions list, its rendered HTML, the index."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import F, OuterRef, Subquery
from django.http import Http404

from articles.models import Article, PublishedVersion
from editorial.services.publishing import html_cache_key
from reviewers.models import Decision, RevisionApproval


@dataclass
class Fingerprint:
    """What the public page of one version depends on, read in one query (for ETag and Last-Modified)."""

    values: dict

    @property
    def retracted(self) -> bool:
        return self.values["retracted_at"] is not None

    def last_modified(self):
        stamps = [
            self.values[name]
            for name in ("published_at", "retracted_at", "article__updated_at", "approved_at", "signed_at")
            if self.values[name] is not None
        ]
        return max(stamps)


def fingerprint(request, slug: str, number: int | None) -> Fingerprint | None:
    """The version on screen and everything its review status is computed from; memoised per request."""
    memo = getattr(request, "_public_fingerprints", None)
    if memo is None:
        memo = request._public_fingerprints = {}
    if (slug, number) in memo:
        return memo[(slug, number)]
    versions = PublishedVersion.objects.filter(article__slug=slug)
    # The live page follows the article's live version; a version page is fixed by its number.
    versions = versions.filter(article__live_version=F("pk")) if number is None else versions.filter(number=number)
    approvals = RevisionApproval.objects.filter(revision_id=OuterRef("revision_id"))
    decisions = Decision.objects.filter(revision_id=OuterRef("revision_id"))
    row = (
        versions.annotate(
            approval_id=Subquery(approvals.order_by("-id").values("id")[:1]),
            approved_at=Subquery(approvals.order_by("-approved_at").values("approved_at")[:1]),
            decision_id=Subquery(decisions.order_by("-id").values("id")[:1]),
            signed_at=Subquery(decisions.order_by("-signed_at").values("signed_at")[:1]),
        )
        .values(
            "pk",
            "number",
            "revision_id",
            "published_at",
            "retracted_at",
            "article_id",
            "article__updated_at",
            "article__state",
            "article__current_revision_id",
            "article__live_version_id",
            "article__review_round",
            "article__last_reviewed_at",
            "approval_id",
            "approved_at",
            "decision_id",
            "signed_at",
        )
        .first()
    )
    memo[(slug, number)] = Fingerprint(row) if row else None
    return memo[(slug, number)]


def live_version(slug: str) -> tuple[Article, PublishedVersion | None]:
    article = (
        Article.objects.select_related("live_version__revision").defer("live_version__html").filter(slug=slug).first()
    )
    if article is None:
        raise Http404("No such article.")
    return article, article.live_version


def version_by_number(slug: str, number: int) -> PublishedVersion:
    version = (
        PublishedVersion.objects.select_related("article", "revision")
        .defer("html")
        .filter(article__slug=slug, number=number)
        .first()
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


def version_html(version: PublishedVersion) -> str:
    """The sanitised HTML the publishing task rendered, from the cache (filled again on a miss)."""
    key = html_cache_key(version.pk)
    html = cache.get(key)
    if html is None:
        html = PublishedVersion.objects.values_list("html", flat=True).get(pk=version.pk)
        cache.set(key, html, None)
    return html


def live_versions():
    """Every article's live version, most recently published first (the public index)."""
    return (
        PublishedVersion.objects.filter(article__live_version=F("pk"))
        .select_related("article", "revision")
        .defer("html", "revision__body", "revision__text")
        .order_by("-published_at", "-pk")
    )
