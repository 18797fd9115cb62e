"""The base of the API's input serializers: text fields limited by the settings."""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from editorial.limits import apply_text_limits

# A text field that may not be blank is blank when only whitespace is left once trimmed: the schema says so with
# this pattern (minLength 1 alone admits "  "). Python trims \x1c-\x1f and \x85 too, which a schema's (ECMA)
# \s leaves out. It never fails itself: the blank check comes first.
NOT_ONLY_WHITESPACE = RegexValidator(r"[^\s\x1c-\x1f\x85]", "This field may not be blank.")


class LimitedSerializer(serializers.Serializer):
    """Text fields without a limit of their own get the settings' limit; `long_text_fields` the body's."""

    long_text_fields: tuple[str, ...] = ()

    def get_fields(self) -> dict:
        fields = super().get_fields()
        apply_text_limits(fields, serializers.CharField, self.long_text_fields)
        for field in fields.values():
            if type(field) is serializers.CharField and field.trim_whitespace and not field.allow_blank:
                field.validators.append(NOT_ONLY_WHITESPACE)
        return fields
