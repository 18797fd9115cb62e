"""The audit trail: event rows and the chain verification."""

from __future__ import annotations

from rest_framework import serializers

from editorial.models import AuditEvent


class AuditEventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    article = serializers.IntegerField(source="article_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "article",
            "before",
            "after",
            "reason",
            "hash",
            "prev_hash",
        ]

    def get_actor(self, event) -> str | None:
        return event.actor.username if event.actor_id else None


class VerifyOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_broken = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()
