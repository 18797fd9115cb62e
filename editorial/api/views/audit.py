"""The audit trail over HTTP: events (JSON or CSV), chain verification, per-article history."""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from editorial import permissions
from editorial.audit_export import csv_lines
from editorial.exceptions import InvalidInput
from editorial.moments import parse_moment
from editorial.selectors import audit_events
from editorial.verification import verify_audit

from ..base import EditorialAPIView
from ..serializers import audit as s


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


# parse_moment: a date, or a date and time with its zone; anything else is 400.
MOMENT = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
AUDIT_FILTERS = [
    OpenApiParameter("article", {"type": "integer", "minimum": 1}),
    OpenApiParameter("actor", str, description="username"),
    OpenApiParameter("action", str, description="comma-separated, e.g. article.submit,decision.approve"),
    OpenApiParameter("since", MOMENT, description="ISO 8601, inclusive"),
    OpenApiParameter("until", MOMENT, description="ISO 8601, inclusive"),
    OpenApiParameter("format", enum=["json", "csv"]),
]


class AuditEventList(EditorialAPIView, ListAPIView):
    serializer_class = s.AuditEventOutput
    renderer_classes = [JSONRenderer, CSVRenderer]

    def get_queryset(self):
        permissions.require_can_read_audit(self.request.user)
        params = self.request.query_params
        article = params.get("article")
        if article is not None and not article.isdigit():
            raise InvalidInput("article must be an article id.", errors={"article": ["Not an integer."]})
        actions = [a for a in params.get("action", "").split(",") if a] or None
        since = parse_moment(params["since"], field="since") if params.get("since") else None
        until = parse_moment(params["until"], field="until", end_of_day=True) if params.get("until") else None
        return audit_events(
            article_id=int(article) if article else None,
            actor_username=params.get("actor") or None,
            actions=actions,
            since=since,
            until=until,
        )

    @extend_schema(
        parameters=AUDIT_FILTERS,
        responses={
            (200, "application/json"): s.AuditEventOutput(many=True),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the same rows, with a header"),
        },
    )
    def get(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":
            return self._csv(self.get_queryset())
        return super().get(request, *args, **kwargs)

    def _csv(self, events) -> StreamingHttpResponse:
        response = StreamingHttpResponse(csv_lines(events), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        return response


class AuditVerify(EditorialAPIView):
    @extend_schema(responses=s.VerifyOutput)
    def get(self, request):
        permissions.require_can_verify_audit(request.user)
        return Response(verify_audit())


class ArticleHistory(EditorialAPIView, ListAPIView):
    """One timeline of everything that happened to an article, from the audit trail."""

    serializer_class = s.AuditEventOutput

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return audit_events(article_id=article.pk)
