"""Publication requests, versions and retraction."""

from __future__ import annotations

from rest_framework import serializers

from articles.models import PublishRequestStatus

from .fields import LimitedSerializer


class PublishInput(LimitedSerializer):
    revision = serializers.IntegerField(min_value=1, required=False)
    publish_at = serializers.DateTimeField(required=False)


class PublishRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(source="id")
    status = serializers.CharField()
    revision = serializers.IntegerField(source="revision.number")
    publish_at = serializers.DateTimeField(allow_null=True)
    requested_by = serializers.CharField(source="requested_by.username")
    requested_at = serializers.DateTimeField()
    outcome = serializers.CharField()
    version = serializers.SerializerMethodField()

    def get_version(self, request) -> int | None:
        version = getattr(request, "version", None) if request.status == PublishRequestStatus.DONE else None
        return version.number if version else None


class VersionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    revision = serializers.IntegerField(source="revision.number")
    published_at = serializers.DateTimeField()
    published_by = serializers.CharField(source="published_by.username")
    review_status = serializers.SerializerMethodField()
    retracted_at = serializers.DateTimeField(allow_null=True)
    retraction_reason = serializers.CharField()
    change_summary = serializers.CharField(source="revision.change_summary")

    def get_review_status(self, version) -> str:
        return self.context["statuses"][version.revision_id]


class RetractInput(LimitedSerializer):
    reason = serializers.CharField()
