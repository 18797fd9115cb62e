"""The audit trail over HTTP: events (JSON or CSV), chain verification, per-article history."""

from __future__ import annotations

import csv
import json
from datetime import UTC

from django.http import StreamingHttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from editorial.audit import verify_chain
from editorial.exceptions import Forbidden, InvalidInput
from editorial.selectors import audit_events

from . import serializers as s
from .base import EditorialAPIView

# One column per field of the JSON rows, in the same order.
CSV_COLUMNS = s.AuditEventOutput.Meta.fields


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class Echo:
    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    # Spreadsheets run cells that start with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def event_rows(events):
    """The events as the API's JSON rows, read in chunks (an export streams, it does not load all)."""
    for event in events.iterator(chunk_size=2000):
        yield s.AuditEventOutput(event).data


def csv_lines(events):
    """A header, then one CSV line per event: the JSON row's fields, cells made safe for spreadsheets."""
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row in event_rows(events):
        yield writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])


def parse_moment(name: str, value: str, end_of_day: bool):
    # A date first: parse_datetime() reads "2025-06-01" as a naive midnight. Well-formed but impossible
    # dates (2025-13-45) raise ValueError: a 400, not a 500.
    try:
        day = parse_date(value)
        moment = parse_datetime(value) if day is None else None
    except ValueError:
        moment = day = None
    if moment is None:
        if day is None:
            raise InvalidInput(f"{name} must be an ISO 8601 date or time.", errors={name: ["Not ISO 8601."]})
        from datetime import datetime, time

        moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
    if moment.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone (for example Z).", errors={name: ["Missing time zone."]})
    return moment


AUDIT_FILTERS = [
    OpenApiParameter("article", int),
    OpenApiParameter("actor", str, description="username"),
    OpenApiParameter("action", str, description="comma-separated, e.g. article.submit,decision.approve"),
    OpenApiParameter("since", str, description="ISO 8601, inclusive"),
    OpenApiParameter("until", str, description="ISO 8601, inclusive"),
    OpenApiParameter("format", enum=["json", "csv"]),
]


class AuditEventList(EditorialAPIView, ListAPIView):
    serializer_class = s.AuditEventOutput
    renderer_classes = [JSONRenderer, CSVRenderer]

    def get_queryset(self):
        if not self.request.user.has_perm("editorial.view_auditevent"):
            raise Forbidden("Only auditors and editors can read the audit log.")
        params = self.request.query_params
        article = params.get("article")
        if article is not None and not article.isdigit():
            raise InvalidInput("article must be an article id.", errors={"article": ["Not an integer."]})
        actions = [a for a in params.get("action", "").split(",") if a] or None
        since = parse_moment("since", params["since"], False) if params.get("since") else None
        until = parse_moment("until", params["until"], True) if params.get("until") else None
        return audit_events(
            article_id=int(article) if article else None,
            actor_username=params.get("actor") or None,
            actions=actions,
            since=since,
            until=until,
        )

    @extend_schema(parameters=AUDIT_FILTERS)
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
        if not request.user.has_perm("editorial.verify_auditevent"):
            raise Forbidden("Only auditors can verify the audit chain.")
        return Response(verify_chain().as_dict())


class ArticleHistory(EditorialAPIView, ListAPIView):
    """One timeline of everything that happened to an article, from the audit trail."""

    serializer_class = s.AuditEventOutput

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return audit_events(article_id=article.pk)
