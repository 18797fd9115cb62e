"""The base of the API's input serializers: text fields limited by the settings."""

from __future__ import annotations

from rest_framework import serializers

from editorial.limits import apply_text_limits


class LimitedSerializer(serializers.Serializer):
    """Text fields without a limit of their own get the settings' limit; `long_text_fields` the body's."""

    long_text_fields: tuple[str, ...] = ()

    def get_fields(self) -> dict:
        fields = super().get_fields()
        apply_text_limits(fields, serializers.CharField, self.long_text_fields)
        return fields
