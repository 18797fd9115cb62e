"""The base API view: authentication first, then the size limits of API.md (413 right after 401)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from rest_framework.views import APIView

from articles.models import Article
from articles.selectors import visible_articles
from editorial.exceptions import TooLarge

WRITE_METHODS = ("POST", "PUT", "PATCH")


def _oversized(value, key: str | None) -> str | None:
    """Return the name of the first string field over its limit, walking nested lists and objects."""
    if isinstance(value, str):
        limit = settings.EDITORIAL_MAX_BODY_CHARS if key == "body" else settings.EDITORIAL_MAX_TEXT_CHARS
        return key or "value" if len(value) > limit else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((key, item) for item in value)
    else:
        return None
    for child_key, child in items:
        found = _oversized(child, child_key)
        if found:
            return found
    return None


def enforce_size_limits(request) -> None:
    if request.method not in WRITE_METHODS:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.EDITORIAL_MAX_REQUEST_BYTES:
        raise TooLarge("The request is larger than 1 MiB.", "too_large")
    field = _oversized(request.data, None)
    if field:
        limit = settings.EDITORIAL_MAX_BODY_CHARS if field == "body" else settings.EDITORIAL_MAX_TEXT_CHARS
        raise TooLarge(f"{field} is longer than {limit:,} characters.", "too_large", field=field)


class EditorialAPIView(APIView):
    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        enforce_size_limits(request)

    def get_article(self, article_id: int) -> Article:
        """The article, or 404 when it does not exist or this user may not see it."""
        return get_object_or_404(visible_articles(self.request.user), pk=article_id)
