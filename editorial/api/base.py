"""The base API view: authentication first, then the size limits of API.md (413 right after 401)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from articles.models import Article, Revision
from articles.selectors import visible_articles
from editorial.exceptions import InvalidInput, TooLarge
from editorial.limits import body_limit, text_limit
from editorial.services.common import lock_visible_article

WRITE_METHODS = ("POST", "PUT", "PATCH")


def _limit(key: str | None, depth: int, long_fields: tuple[str, ...]) -> int:
    return body_limit() if depth == 1 and key in long_fields else text_limit()


def _oversized(value, key: str | None, long_fields: tuple[str, ...], depth: int = 0) -> tuple[str, int] | None:
    """Return the first string field over its limit, and the limit, walking nested lists and objects."""
    if isinstance(value, str):
        limit = _limit(key, depth, long_fields)
        return (key or "value", limit) if len(value) > limit else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((key, item) for item in value)
    else:
        return None
    for child_key, child in items:
        found = _oversized(child, child_key, long_fields, depth + 1)
        if found:
            return found
    return None


def enforce_size_limits(request, long_fields: tuple[str, ...] = ()) -> None:
    """413 for a request over 1 MiB, a long field (top level) over 200,000 characters, any other over 20,000."""
    if request.method not in WRITE_METHODS:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.EDITORIAL_MAX_REQUEST_BYTES:
        raise TooLarge("The request is larger than 1 MiB.", "too_large")
    found = _oversized(request.data, None, long_fields)
    if found:
        field, limit = found
        raise TooLarge(f"{field} is longer than {limit:,} characters.", "too_large", field=field)


class SizeLimitMixin:
    """Size limits checked right after authentication, so 413 comes after 401 and before 404/403/400."""

    # Top-level fields allowed the article-body limit; every other string gets the text limit.
    long_text_fields: tuple[str, ...] = ()

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        enforce_size_limits(request, self.long_text_fields)


# The schema of a `?revision=` number: anything but digits is 400 (EditorialAPIView.revision_param).
REVISION_NUMBER = {"type": "integer", "minimum": 1}


class EditorialAPIView(SizeLimitMixin, APIView):
    def finalize_response(self, request, response, *args, **kwargs):
        """An error is API.md's JSON body whatever format was asked for (`?format=csv`, `?format=jsonld`)."""
        renderer = getattr(request, "accepted_renderer", None)
        if getattr(response, "exception", False) and getattr(renderer, "media_type", None) != "application/json":
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def revision_param(self, article: Article) -> Revision:
        """The revision `?revision=n` names (default: the current one); 400 for anything but digits, 404 for a
        number the article has no revision of."""
        number = self.request.query_params.get("revision")
        if number is None:
            return article.current_revision
        if not number.isdigit():
            raise InvalidInput("revision must be a revision number.", errors={"revision": ["Not an integer."]})
        return get_object_or_404(Revision, article=article, number=int(number))

    def get_article(self, article_id: int, *, lock: bool = False) -> Article:
        """The article, or 404 when it does not exist or this user may not see it. With `lock` (inside
        `locked_request()`), read under its row lock once for the whole request: the service does not read it
        again."""
        articles = visible_articles(self.request.user)
        if not lock:
            return get_object_or_404(articles, pk=article_id)
        try:
            return lock_visible_article(articles, article_id)
        except Article.DoesNotExist as missing:
            raise Http404 from missing
