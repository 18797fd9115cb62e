"""What every page view shares: the visible article or 404, role gates, and service errors as messages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from articles.models import Article
from articles.selectors import visible_articles
from editorial.exceptions import EditorialError
from editorial.roles import role_of


def visible_article_or_404(request, article_id: int) -> Article:
    """The article, or 404 when it does not exist or this user may not see it (the API's rule)."""
    return get_object_or_404(visible_articles(request.user), pk=article_id)


def role_required(*roles: str) -> Callable:
    """Signed in (else to the sign-in page) and of one of `roles` (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def attempt(request, service: Callable, *args, success: str = "", **kwargs):
    """Call one service; on a refusal show its sentence to the user and return None. Nothing else differs
    from the API: the service checks the role, the object-level rules and the state."""
    try:
        result = service(*args, **kwargs)
    except EditorialError as error:
        messages.error(request, error.detail)
        return None
    if success:
        messages.success(request, success)
    return result


def form_errors_as_messages(request, form, labels: dict[str, str] | None = None) -> None:
    """Each field error as a message, prefixed by the field's label (from `labels`, else the form's)."""
    for field, errors in form.errors.items():
        label = ""
        if field in form.fields:
            label = (labels or {}).get(field) or form.fields[field].label or field.replace("_", " ").capitalize()
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
