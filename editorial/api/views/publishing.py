"""Publishing, scheduling and cancelling versions; the version list; retraction."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from articles.models import PublishedVersion, PublishRequest
from editorial import permissions
from editorial.services import publishing
from editorial.services.common import locked_request
from reviewers.selectors import review_statuses

from ..base import EditorialAPIView
from ..serializers import publishing as s


class Publish(EditorialAPIView, ListAPIView):
    """POST asks for a version (202: it appears when the task has run); GET lists the requests."""

    serializer_class = s.PublishRequestOutput

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return PublishRequest.objects.filter(article=article).select_related("revision", "requested_by", "version")

    @extend_schema(request=s.PublishInput, responses={202: s.PublishRequestOutput})
    def post(self, request, article_id: int):
        with locked_request():
            article = self.get_article(article_id, lock=True)
            permissions.require_can_publish(request.user)
            data = s.PublishInput(data=request.data)
            data.is_valid(raise_exception=True)
            publish_request = publishing.request_publication(
                article,
                actor=request.user,
                revision_number=data.validated_data.get("revision"),
                publish_at=data.validated_data.get("publish_at"),
            )
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
