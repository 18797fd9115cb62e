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


class RecordProblemOutput(serializers.Serializer):
    record = serializers.CharField(help_text="e.g. reviewers.decision")
    id = serializers.IntegerField()
    problem = serializers.CharField()
    event = serializers.IntegerField(allow_null=True, help_text="The seq of the event it was compared with.")


class VerifyOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_broken = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()
    expected_hash = serializers.CharField(allow_null=True)
    found_hash = serializers.CharField(allow_null=True)
    checkpoints = serializers.IntegerField(help_text="Signed checkpoints the chain was checked against.")
    checkpoint = serializers.CharField(allow_null=True, help_text="The checkpoint that caught a break.")
    records = RecordProblemOutput(many=True, help_text="Records that do not match the event that created them.")
