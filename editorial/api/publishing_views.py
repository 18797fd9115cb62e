"""Publishing, versions, retraction, and the notification inbox."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from articles.models import PublishedVersion, PublishRequest
from editorial import permissions
from editorial.models import Notification, NotificationPreference
from editorial.services import publishing
from reviewers.selectors import review_statuses

from . import serializers as s
from .base import EditorialAPIView


class Publish(EditorialAPIView, ListAPIView):
    """POST asks for a version (202: it appears when the task has run); GET lists the requests."""

    serializer_class = s.PublishRequestOutput

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return PublishRequest.objects.filter(article=article).select_related("revision", "requested_by", "version")

    @extend_schema(request=s.PublishInput, responses={202: s.PublishRequestOutput})
    def post(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_publish(request.user)
        data = s.PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        publish_request = publishing.request_publication(
            article,
            actor=request.user,
            revision_number=data.validated_data.get("revision"),
            publish_at=data.validated_data.get("publish_at"),
        )
        publish_request = self.get_queryset().get(pk=publish_request.pk)
        return Response(s.PublishRequestOutput(publish_request).data, status=status.HTTP_202_ACCEPTED)


class PublishCancel(EditorialAPIView):
    @extend_schema(request=None, responses=s.PublishRequestOutput)
    def post(self, request, article_id: int, request_id: int):
        article = self.get_article(article_id)
        publish_request = get_object_or_404(PublishRequest, article=article, pk=request_id)
        publish_request = publishing.cancel_publication(publish_request, actor=request.user)
        return Response(s.PublishRequestOutput(publish_request).data)


class VersionList(EditorialAPIView, ListAPIView):
    serializer_class = s.VersionOutput

    def get_queryset(self):
        self.article = self.get_article(self.kwargs["article_id"])
        return PublishedVersion.objects.filter(article=self.article).select_related("revision", "published_by")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        revision_ids = PublishedVersion.objects.filter(article=self.article).values_list("revision_id", flat=True)
        context["statuses"] = review_statuses(self.article, revision_ids)
        return context


class Retract(EditorialAPIView):
    @extend_schema(request=s.RetractInput, responses=s.VersionOutput)
    def post(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_publish(request.user)
        data = s.RetractInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = publishing.retract_live_version(article, actor=request.user, reason=data.validated_data["reason"])
        version = PublishedVersion.objects.select_related("revision", "published_by", "article").get(pk=version.pk)
        context = {"statuses": review_statuses(version.article, [version.revision_id])}
        return Response(s.VersionOutput(version, context=context).data)


class NotificationList(EditorialAPIView, ListAPIView):
    """The signed-in user's inbox, newest first; `?unread=1` for unread only."""

    serializer_class = s.NotificationOutput

    def get_queryset(self):
        notifications = Notification.objects.filter(recipient=self.request.user).order_by("-created_at", "-id")
        if self.request.query_params.get("unread") in ("1", "true"):
            notifications = notifications.filter(read_at__isnull=True)
        return notifications


class NotificationRead(EditorialAPIView):
    @extend_schema(request=None, responses=s.NotificationOutput)
    def post(self, request, notification_id: int):
        notification = get_object_or_404(Notification, recipient=request.user, pk=notification_id)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(s.NotificationOutput(notification).data)


class NotificationPreferences(EditorialAPIView):
    pagination_class = None

    @extend_schema(responses=s.PreferenceInput(many=True))
    def get(self, request):
        return Response(list(NotificationPreference.objects.filter(user=request.user).values("kind", "mode")))

    @extend_schema(request=s.PreferenceInput, responses=s.PreferenceInput)
    def post(self, request):
        data = s.PreferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        NotificationPreference.objects.update_or_create(
            user=request.user, kind=data.validated_data["kind"], defaults={"mode": data.validated_data["mode"]}
        )
        return Response(data.validated_data)
