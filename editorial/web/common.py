"""What every page view shares: the visible article or 404, permission gates, service errors as messages,
and forms whose text fields take their limits from the settings."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from articles.models import Article
from articles.selectors import visible_articles
from editorial.exceptions import EditorialError
from editorial.limits import apply_text_limits


def visible_article_or_404(request, article_id: int) -> Article:
    """The article, or 404 when it does not exist or this user may not see it (the API's rule)."""
    return get_object_or_404(visible_articles(request.user), pk=article_id)


def allowed_if(check: Callable[[object], bool]) -> Callable:
    """Signed in (else to the sign-in page) and allowed by `check`, one of editorial.permissions' `can_*`
    (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class LimitedForm(forms.Form):
    """Text fields without a limit of their own get the settings' limit; `long_text_fields` the body's."""

    long_text_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        apply_text_limits(self.fields, forms.CharField, self.long_text_fields)


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


def permitted(check: Callable, *args) -> bool:
    """Ask a service's own rule whether the user may act now, to show only the forms that can succeed."""
    try:
        check(*args)
    except EditorialError:
        return False
    return True


def page_number(request) -> int:
    """`?page=` as a number (1 when absent or not a number); the paginators clamp it to their pages."""
    value = request.GET.get("page", "")
    return int(value) if value.isdigit() else 1


def form_errors_as_messages(request, form, labels: dict[str, str] | None = None) -> None:
    """Each field error as a message, prefixed by the field's label (from `labels`, else the form's)."""
    for field, errors in form.errors.items():
        label = ""
        if field in form.fields:
            label = (labels or {}).get(field) or form.fields[field].label or field.replace("_", " ").capitalize()
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
