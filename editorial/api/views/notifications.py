"""The signed-in user's notification inbox and email preferences."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from editorial.models import Notification, NotificationPreference

from ..base import EditorialAPIView
from ..serializers import notifications as s


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
