"""The auditor console: the audit log with filters and exports, per-article timelines with revision diffs,
"what was live on date D and who had approved it", and chain verification. Read-only pages.
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from articles.diff import diff_revisions
from articles.models import PublishedVersion, Revision
from editorial import permissions
from editorial.audit_export import csv_lines, json_lines
from editorial.exceptions import InvalidInput
from editorial.models import AuditEvent
from editorial.moments import parse_moment
from editorial.selectors import audit_events
from editorial.verification import verify_audit
from reviewers.models import Decision, RevisionApproval
from reviewers.selectors import standing_approvals

from .common import allowed_if, page_number, visible_article_or_404

EVENTS_PER_PAGE = 50
DECISION_OBJECT = "reviewers.decision"


class AuditFilters:
    """The audit log's filters from the query string: the values for the form, the selector's arguments,
    and the API's query string (times normalised to UTC with their zone, as the API requires)."""

    def __init__(self, params):
        self.errors: list[str] = []
        self.article = params.get("article", "").strip()
        self.actor = params.get("actor", "").strip()
        actions = [a.strip() for value in params.getlist("action") for a in value.split(",")]
        self.actions = [a for a in dict.fromkeys(actions) if a]
        self.since_text = params.get("since", "").strip()
        self.until_text = params.get("until", "").strip()
        self.article_id = None
        if self.article:
            if self.article.isdigit():
                self.article_id = int(self.article)
            else:
                self.errors.append("Article must be an article id (a number).")
        self.since = self._moment("since", self.since_text, end_of_day=False)
        self.until = self._moment("until", self.until_text, end_of_day=True)

    def _moment(self, name: str, value: str, *, end_of_day: bool):
        if not value:
            return None
        try:
            # A datetime-local input has no zone: it is read as UTC.
            return parse_moment(value, field=name, end_of_day=end_of_day, naive_is_utc=True)
        except InvalidInput as error:
            self.errors.append(f"{name.capitalize()}: {error.detail}")
            return None

    def events(self):
        return audit_events(
            article_id=self.article_id,
            actor_username=self.actor or None,
            actions=self.actions or None,
            since=self.since,
            until=self.until,
        )

    def query(self, **extra) -> str:
        params = {
            "article": self.article_id,
            "actor": self.actor,
            "action": ",".join(self.actions),
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})

    @property
    def active(self) -> bool:
        return bool(self.article_id or self.actor or self.actions or self.since or self.until)


@require_GET
@allowed_if(permissions.can_read_audit)
def log(request):
    filters = AuditFilters(request.GET)
    for error in filters.errors:
        messages.error(request, error)
    page = Paginator(filters.events(), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    _with_texts(page)
    known_actions = list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
    api = reverse("api-audit-events")
    context = {
        "page": page,
        "filters": filters,
        "known_actions": known_actions,
        "page_query": filters.query(),
        "api_csv": f"{api}?{filters.query(format='csv')}",
        "api_json": f"{api}?{filters.query(format='json', page_size=500)}",
        "export_csv": reverse("audit-export", args=["csv"]) + "?" + filters.query(),
        "export_json": reverse("audit-export", args=["json"]) + "?" + filters.query(),
        "can_verify": permissions.can_verify_audit(request.user),
    }
    return render(request, "editorial/audit/log.html", context, status=400 if filters.errors else 200)


@require_GET
@allowed_if(permissions.can_read_audit)
def export(request, fmt: str):
    """The filtered log as one file, with the API's columns and cells (the same serializer and CSV helpers)."""
    if fmt not in ("csv", "json"):
        raise Http404("Export as csv or json.")
    filters = AuditFilters(request.GET)
    if filters.errors:
        return redirect(reverse("audit-log") + "?" + request.GET.urlencode())
    events = filters.events()

    if fmt == "csv":
        body, content_type = csv_lines(events), "text/csv; charset=utf-8"
    else:
        body, content_type = json_lines(events), "application/json; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="audit-events.{fmt}"'
    return response


def _with_texts(events) -> None:
    """Before/after as compact JSON for display (the template escapes it)."""
    for event in events:
        event.before_text = "" if event.before is None else json.dumps(event.before, sort_keys=True, ensure_ascii=False)
        event.after_text = "" if event.after is None else json.dumps(event.after, sort_keys=True, ensure_ascii=False)


def _signature_lines(decisions) -> list[str]:
    return [d.signature_line for d in decisions]


@require_GET
@allowed_if(permissions.can_read_audit)
def article_timeline(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    events = list(audit_events(article_id=article.pk))
    _with_texts(events)
    decisions = {str(d.pk): d for d in Decision.objects.filter(article=article).select_related("revision")}
    for event in events:
        event.decision = decisions.get(event.object_id) if event.object_type == DECISION_OBJECT else None
    revisions = list(Revision.objects.filter(article=article).select_related("author").order_by("number"))
    by_number = {r.number: r for r in revisions}
    diff = None
    a = b = None
    if len(revisions) >= 2:
        a, b = revisions[-2], revisions[-1]
    if request.GET.get("a") or request.GET.get("b"):
        try:
            a = by_number[int(request.GET.get("a", ""))]
            b = by_number[int(request.GET.get("b", ""))]
        except (KeyError, ValueError):
            messages.error(request, "Choose two revisions of this article to compare.")
            a = b = None
    if a is not None and b is not None:
        diff = diff_revisions(a, b, page=page_number(request))
    versions = list(
        PublishedVersion.objects.filter(article=article)
        .select_related("revision", "published_by", "retracted_by")
        .order_by("number")
    )
    approvals = list(
        RevisionApproval.objects.filter(article=article)
        .select_related("revision")
        .prefetch_related(Prefetch("decisions", queryset=Decision.objects.select_related("revision")))
        .order_by("approved_at", "id")
    )
    for approval in approvals:
        approval.signature_lines = _signature_lines(sorted(approval.decisions.all(), key=lambda d: (d.signed_at, d.pk)))
    context = {
        "article": article,
        "events": events,
        "revisions": revisions,
        "a": a,
        "b": b,
        "diff": diff,
        "pager_query": f"a={a.number}&b={b.number}&" if diff else "",
        "versions": versions,
        "approvals": approvals,
    }
    return render(request, "editorial/audit/article.html", context)


def live_at(article, moment: datetime.datetime) -> dict:
    """What readers were shown at `moment`: the latest version published by then, unless it had been retracted
    by then (a retraction never brings an earlier version back), and the approval that stood for its revision
    then (the same rule as the public page: a later round that refused it withdrew it)."""
    version = (
        PublishedVersion.objects.filter(article=article, published_at__lte=moment)
        .select_related("revision", "published_by", "retracted_by")
        .order_by("-published_at", "-number")
        .first()
    )
    if version is None:
        return {"version": None, "retracted_version": None, "approvals": []}
    if version.retracted_at is not None and version.retracted_at <= moment:
        return {"version": None, "retracted_version": version, "approvals": []}
    approval = standing_approvals([version.revision_id], at=moment, with_decisions=True).get(version.revision_id)
    approvals = [approval] if approval else []
    for approval in approvals:
        approval.signature_lines = _signature_lines(approval.decisions.all())
    return {"version": version, "retracted_version": None, "approvals": approvals}


@require_GET
@allowed_if(permissions.can_read_audit)
def live(request):
    article_text = request.GET.get("article", "").strip()
    at_text = request.GET.get("at", "").strip()
    context: dict = {"article_text": article_text, "at_text": at_text, "asked": False}
    status = 200
    if article_text or at_text:
        article = moment = None
        if not article_text.isdigit():
            messages.error(request, "Article must be an article id (a number).")
        else:
            article = visible_article_or_404(request, int(article_text))
        if not at_text:
            messages.error(request, "Give a date (2025-06-01) or a date and time (2025-06-01T14:30:00Z).")
        else:
            try:
                moment = parse_moment(at_text, field="at", end_of_day=True, naive_is_utc=True)
            except InvalidInput as error:
                messages.error(request, f"At: {error.detail}")
        if article is not None and moment is not None:
            context.update({"asked": True, "article": article, "moment": moment, **live_at(article, moment)})
        else:
            status = 400
    return render(request, "editorial/audit/live.html", context, status=status)


@require_GET
@allowed_if(permissions.can_verify_audit)
def verify(request):
    """Runs the check on every load (read-only); the API's rule: auditors verify."""
    result = verify_audit()
    kept = None
    kept_seq, kept_hash = request.GET.get("seq", "").strip(), request.GET.get("hash", "").strip().lower()
    if kept_seq or kept_hash:
        if not kept_seq.isdigit() or not kept_hash:
            messages.error(request, "Give the sequence number and the hash you kept.")
        else:
            stored = AuditEvent.objects.filter(seq=int(kept_seq)).values_list("hash", flat=True).first()
            kept = {"seq": int(kept_seq), "hash": kept_hash, "stored": stored, "matches": stored == kept_hash}
    broken_page = (result["first_broken"] - 1) // EVENTS_PER_PAGE + 1 if result["first_broken"] else None
    context = {"result": result, "kept": kept, "broken_page": broken_page}
    return render(request, "editorial/audit/verify.html", context)


urlpatterns = [
    path("desk/audit/", log, name="audit-log"),
    path("desk/audit/export.<str:fmt>", export, name="audit-export"),
    path("desk/audit/articles/<int:article_id>/", article_timeline, name="audit-article"),
    path("desk/audit/live/", live, name="audit-live"),
    path("desk/audit/verify/", verify, name="audit-verify"),
]
