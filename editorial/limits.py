"""Length limits of text input (API.md: 20,000 characters a field, the article body 200,000), read from settings
when a form or serializer is used, so that forms, serializers, templates and the API's 413 agree."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator


def text_limit() -> int:
    return settings.EDITORIAL_MAX_TEXT_CHARS


def body_limit() -> int:
    return settings.EDITORIAL_MAX_BODY_CHARS


def apply_text_limits(fields: dict, char_field_type: type, long_fields: tuple[str, ...] = ()) -> None:
    """Give every text field without a limit of its own the settings' limit (the body limit for `long_fields`)."""
    for name, field in fields.items():
        if isinstance(field, char_field_type) and field.max_length is None:
            limit = body_limit() if name in long_fields else text_limit()
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit))
            widget = getattr(field, "widget", None)
            if widget is not None:
                widget.attrs["maxlength"] = str(limit)


def context_processor(request) -> dict:
    """The limits for templates: `maxlength="{{ limits.text }}"`."""
    return {"limits": {"text": text_limit(), "body": body_limit()}}
