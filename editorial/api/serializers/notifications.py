"""The inbox and notification preferences."""

from __future__ import annotations

from rest_framework import serializers

from editorial.models import EmailMode, NotificationKind

from .fields import LimitedSerializer


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    article = serializers.IntegerField(source="article_id", allow_null=True)
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class PreferenceInput(LimitedSerializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    mode = serializers.ChoiceField(choices=EmailMode.choices)
