"""Pages for managing editors: the pipeline desk, one article's review and publication, reader reports.

Every change goes through one service call (editorial.services); these views only read the forms,
call the service through `attempt()` (a refusal becomes a message) and redirect back.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from articles.models import (
    ArticleState,
    PublicationPolicy,
    PublishedVersion,
    PublishRequest,
    PublishRequestStatus,
    Revision,
)
from articles.selectors import visible_articles
from editorial import permissions, selectors
from editorial.exceptions import InvalidInput
from editorial.models import ReaderReport, ReaderReportStatus, ReferenceRetraction
from editorial.moments import parse_moment
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import (
    draft_requests,
    publishing,
    reader_reports,
    retractions,
    signing,
    stuck_work,
    users,
    workflow,
)
from reviewers.eligibility import declarations_in_force
from reviewers.models import ACTIVE_ASSIGNMENT_STATUSES, Assignment, Decision
from reviewers.selectors import quorum_status, review_statuses, suggested_reviewers

from .common import LimitedForm, allowed_if, attempt, form_errors_as_messages, permitted, visible_article_or_404

PIPELINE = [
    (ArticleState.SUBMITTED, "Submitted"),
    (ArticleState.UNDER_REVIEW, "Under review"),
    (ArticleState.CHANGES_REQUESTED, "Changes requested"),
    (ArticleState.APPROVED, "Approved"),
]
PENDING_PUBLICATION = (PublishRequestStatus.QUEUED, PublishRequestStatus.SCHEDULED)
RE_REVIEW_LOOKAHEAD_DAYS = 30


def _back(article_id: int):
    return redirect("editor-article", article_id=article_id)


# -- the desk ------------------------------------------------------------------------------------------


@require_GET
@allowed_if(permissions.can_publish)
def desk(request):
    today = timezone.now().date()
    pending = Assignment.objects.pending()
    articles = list(
        visible_articles(request.user)
        .filter(
            Q(state__in=[state for state, _ in PIPELINE])
            | Q(live_version__isnull=False)
            | Q(pk__in=PublishRequest.objects.filter(status__in=PENDING_PUBLICATION).values("article_id"))
        )
        .annotate(reviewers=Count("assignments", filter=Q(assignments__status__in=ACTIVE_ASSIGNMENT_STATUSES)))
        .prefetch_related(
            Prefetch(
                "publish_requests",
                queryset=PublishRequest.objects.filter(status__in=PENDING_PUBLICATION).select_related("revision"),
                to_attr="pending_requests",
            )
        )
        .order_by("-updated_at", "-id")
    )
    waiting = dict(pending.values("article_id").annotate(n=Count("id")).values_list("article_id", "n"))
    late = dict(
        pending.filter(due__lt=today).values("article_id").annotate(n=Count("id")).values_list("article_id", "n")
    )
    for article in articles:
        article.waiting = waiting.get(article.pk, 0)
        article.overdue = late.get(article.pk, 0)
    columns = [
        {"state": state, "label": label, "articles": [a for a in articles if a.state == state]}
        for state, label in PIPELINE
    ]
    columns.append(
        {
            "state": "live",
            "label": "Live or scheduled",
            "articles": [a for a in articles if a.live_version_id or a.pending_requests],
        }
    )
    overdue = list(
        pending.filter(due__lt=today)
        .select_related("article__current_revision", "reviewer__board_profile")
        .order_by("due", "id")
    )
    rereview = list(
        visible_articles(request.user)
        .filter(
            state=ArticleState.APPROVED,
            next_review_due__lte=today + datetime.timedelta(days=RE_REVIEW_LOOKAHEAD_DAYS),
        )
        .order_by("next_review_due", "id")
    )
    for article in rereview:
        article.rereview_due_now = article.next_review_due <= today
    context = {
        "columns": columns,
        "left": list(selectors.assignments_of_people_who_left()),
        "stuck": selectors.stuck_work(),
        "backlog": sum(waiting.values()),
        "overdue": overdue,
        "rereview": rereview,
        "today": today,
        "lookahead": RE_REVIEW_LOOKAHEAD_DAYS,
    }
    return render(request, "editorial/editor/desk.html", context)


# -- one article ----------------------------------------------------------------------------------------


class AssignForm(LimitedForm):
    suggested = forms.CharField(required=False, label="Suggested board member")
    reviewer = forms.CharField(required=False, max_length=150, label="Username")
    due = forms.DateField(required=False, label="Due date")

    def clean(self):
        data = super().clean()
        username = (data.get("reviewer") or "").strip() or (data.get("suggested") or "").strip()
        if not username:
            raise forms.ValidationError("Choose a suggested board member or type a username.")
        data["username"] = username
        return data


class SettingsForm(LimitedForm):
    quorum = forms.IntegerField(min_value=1, max_value=10, label="Quorum (approvals needed)")
    required_specialties = forms.CharField(required=False, max_length=1000, label="Required specialties")
    publication_policy = forms.ChoiceField(choices=PublicationPolicy.choices, label="Publication policy")
    review_interval_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label="Periodic review interval (days)"
    )
    doses_need_verification = forms.BooleanField(
        required=False, label="Every dose must be verified by an approver before they approve"
    )

    def clean_required_specialties(self) -> list[str]:
        seen: list[str] = []
        for item in self.cleaned_data["required_specialties"].split(","):
            item = item.strip()
            if item and item not in seen:
                seen.append(item)
        return seen


class PublishForm(LimitedForm):
    action = forms.ChoiceField(choices=[("now", "now"), ("schedule", "schedule")], initial="now")
    revision = forms.IntegerField(required=False, min_value=1, label="Revision")
    publish_at = forms.CharField(required=False, label="Publish at (UTC)")

    def clean(self):
        data = super().clean()
        raw = (data.get("publish_at") or "").strip()
        if data.get("action") == "schedule":
            if not raw:
                raise forms.ValidationError("Choose the date and time (UTC) to publish at.")
            try:
                data["moment"] = parse_moment(raw, field="publish_at", naive_is_utc=True, dates=False)
            except InvalidInput:
                raise forms.ValidationError(
                    "The publication time must be a date and time, e.g. 2030-01-31T09:00."
                ) from None
        else:
            data["moment"] = None
        return data


@require_GET
@allowed_if(permissions.can_publish)
def article_page(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    today = timezone.now().date()
    assignments = list(
        Assignment.objects.filter(article=article).select_related("reviewer__board_profile").order_by("assigned_at")
    )
    decisions: dict[int, list[Decision]] = {}
    for decision in Decision.objects.filter(article=article).select_related("revision").order_by("signed_at", "id"):
        decisions.setdefault(decision.reviewer_id, []).append(decision)
    declarations = declarations_in_force(article, [a.reviewer_id for a in assignments])
    for assignment in assignments:
        assignment.decision_list = decisions.get(assignment.reviewer_id, [])
        assignment.declaration = declarations.get(assignment.reviewer_id)
        assignment.profile = getattr(assignment.reviewer, "board_profile", None)
    revisions = list(Revision.objects.filter(article=article).order_by("-number").only("id", "number", "created_at"))
    versions = list(
        PublishedVersion.objects.filter(article=article).select_related("revision", "published_by").order_by("-number")
    )
    statuses = review_statuses(article, [v.revision_id for v in versions])
    for version in versions:
        version.review_status = statuses.get(version.revision_id)
    requests = list(
        PublishRequest.objects.filter(article=article).select_related("revision", "requested_by").order_by("-id")
    )
    settings_form = SettingsForm(
        initial={
            "quorum": article.quorum,
            "required_specialties": ", ".join(article.required_specialties or []),
            "publication_policy": article.publication_policy,
            "review_interval_days": article.review_interval_days,
            "doses_need_verification": article.doses_need_verification,
        }
    )
    context = {
        "article": article,
        "assignments": assignments,
        "suggestions": suggested_reviewers(article),
        "quorum": quorum_status(article),
        "revisions": revisions,
        "versions": versions,
        "requests": requests,
        "pending_requests": [r for r in requests if r.status in PENDING_PUBLICATION],
        "settings_form": settings_form,
        "policies": PublicationPolicy.choices,
        "today": today,
        "can_start_review": permitted(workflow.check_transition, article, "start_review", request.user),
        "can_rereview": permitted(workflow.check_transition, article, "start_rereview", request.user),
    }
    return render(request, "editorial/editor/article.html", context)


@require_POST
@allowed_if(permissions.can_publish)
def assign(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    form = AssignForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return _back(article.pk)
    username = form.cleaned_data["username"]
    attempt(
        request,
        assignment_services.assign_reviewer,
        article,
        actor=request.user,
        reviewer_username=username,
        due=form.cleaned_data.get("due"),
        success=f"Assigned {username}.",
    )
    return _back(article.pk)


@require_POST
@allowed_if(permissions.can_publish)
def edit_settings(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    form = SettingsForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return _back(article.pk)
    # Only what changed: the service records before/after for each field it is given.
    changes = {name: value for name, value in form.cleaned_data.items() if getattr(article, name) != value}
    attempt(
        request,
        article_services.edit_article,
        article,
        actor=request.user,
        **changes,
        success="Review settings saved.",
    )
    return _back(article.pk)


@require_POST
@allowed_if(permissions.can_publish)
def publish(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    form = PublishForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return _back(article.pk)
    moment = form.cleaned_data["moment"]
    result = attempt(
        request,
        publishing.request_publication,
        article,
        actor=request.user,
        revision_number=form.cleaned_data.get("revision"),
        publish_at=moment,
    )
    if result is not None:
        if moment:
            messages.success(
                request, f"Revision {result.revision.number} is scheduled for {moment:%Y-%m-%d %H:%M} UTC."
            )
        elif result.status == PublishRequestStatus.QUEUED:
            result.refresh_from_db()
            if result.status == PublishRequestStatus.DONE:
                messages.success(request, f"Revision {result.revision.number} is published.")
            else:
                messages.success(
                    request, f"Revision {result.revision.number} is queued; the version appears once it has run."
                )
    return _back(article.pk)


@require_POST
@allowed_if(permissions.can_publish)
def cancel(request, article_id: int, request_id: int):
    article = visible_article_or_404(request, article_id)
    publish_request = get_object_or_404(PublishRequest, article=article, pk=request_id)
    attempt(
        request, publishing.cancel_publication, publish_request, actor=request.user, success="Publication cancelled."
    )
    return _back(article.pk)


@require_POST
@allowed_if(permissions.can_publish)
def retract(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    version = attempt(
        request, publishing.retract_live_version, article, actor=request.user, reason=request.POST.get("reason", "")
    )
    if version is not None:
        messages.success(request, f"Version {version.number} is retracted.")
    return _back(article.pk)


@require_POST
@allowed_if(permissions.can_publish)
def start_review(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    attempt(
        request,
        workflow.take_transition,
        article,
        "start_review",
        actor=request.user,
        comment=request.POST.get("comment", ""),
        success="The review has started.",
    )
    return _back(article.pk)


@require_POST
@allowed_if(permissions.can_publish)
def rereview(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    attempt(request, workflow.open_rereview, article, actor=request.user, success="A re-review round is open.")
    return _back(article.pk)


# -- accounts -------------------------------------------------------------------------------------------


@require_GET
@allowed_if(permissions.can_unlock_accounts)
def accounts(request):
    """Locked sign-ins and signatures (to unlock once the person is reached), and reviews owed by people who
    left."""
    context = {
        "sign_in_locks": selectors.sign_in_locks(),
        "signing_locks": list(selectors.signing_locks()),
        "left": list(selectors.assignments_of_people_who_left()),
    }
    return render(request, "editorial/editor/accounts.html", context)


UNLOCKS = {"sign-in": users.unlock_sign_in, "signing": signing.unlock_signing}


@require_POST
@allowed_if(permissions.can_unlock_accounts)
def unlock(request):
    what, username = request.POST.get("what", ""), request.POST.get("username", "").strip()
    if what not in UNLOCKS or not username:
        messages.error(request, "Choose a lock to lift.")
    else:
        attempt(request, UNLOCKS[what], username, actor=request.user, success=f"Unlocked {what} for {username}.")
    return redirect("editor-accounts")


@require_POST
@allowed_if(permissions.can_retry_stuck_work)
def retry_work(request, message_id):
    attempt(request, stuck_work.retry_dead_message, message_id, actor=request.user, success="Started again.")
    return redirect(f"{reverse('editor-desk')}#stuck-work")


@require_POST
@allowed_if(permissions.can_retry_stuck_work)
def retry_email(request, notification_id: int):
    success = "The email will be tried again within minutes."
    attempt(request, stuck_work.retry_email, notification_id, actor=request.user, success=success)
    return redirect(f"{reverse('editor-desk')}#stuck-work")


# -- the retraction list --------------------------------------------------------------------------------

RETRACTIONS_PER_PAGE = 100


class RetractionForm(LimitedForm):
    doi = forms.CharField(required=False, label="DOI")
    pmid = forms.CharField(required=False, label="PMID")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Note")


@require_GET
@allowed_if(permissions.can_manage_retractions)
def retraction_list(request):
    """The retraction list, newest first, and the form to add to it."""
    listed = ReferenceRetraction.objects.select_related("created_by").order_by("-created_at", "-id")
    page = Paginator(listed, RETRACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "editorial/editor/retractions.html", {"page": page, "form": RetractionForm()})


@require_POST
@allowed_if(permissions.can_manage_retractions)
def retraction_add(request):
    form = RetractionForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
    else:
        attempt(
            request,
            retractions.add_reference_retraction,
            actor=request.user,
            doi=form.cleaned_data["doi"],
            pmid=form.cleaned_data["pmid"],
            note=form.cleaned_data["note"],
            success="Added to the retraction list; the articles that cite it are flagged.",
        )
    return redirect("editor-retractions")


# -- reader reports -------------------------------------------------------------------------------------

HANDLED_PER_PAGE = 50
TRIAGE_SUCCESS = {
    ReaderReportStatus.ANSWERED: "Answer recorded.",
    ReaderReportStatus.CLOSED: "Report closed.",
    ReaderReportStatus.REVISION_OPENED: "Revision opened: the article is back with its author as a draft.",
}


@require_GET
@allowed_if(permissions.can_publish)
def reports(request):
    base = ReaderReport.objects.select_related("article__current_revision", "version", "handled_by")
    open_reports = list(base.filter(status=ReaderReportStatus.OPEN).order_by("created_at", "id"))
    handled = Paginator(
        base.exclude(status=ReaderReportStatus.OPEN).order_by(F("handled_at").desc(nulls_last=True), "-id"),
        HANDLED_PER_PAGE,
    ).get_page(request.GET.get("page"))
    for report in open_reports:
        report.proposed_title = draft_requests.title_from_question(report.message)
    context = {
        "open_reports": open_reports,
        "handled": handled,
        "authors": list(draft_requests.authors().values_list("username", flat=True)),
    }
    return render(request, "editorial/editor/reports.html", context)


@require_POST
@allowed_if(permissions.can_triage_reader_reports)
def request_draft(request, report_id: int):
    """A reader's follow-up question becomes a new answer for an author to draft."""
    report = get_object_or_404(ReaderReport, pk=report_id)
    attempt(
        request,
        draft_requests.request_answer_draft,
        report,
        actor=request.user,
        author_username=request.POST.get("author", ""),
        title=request.POST.get("title", ""),
        success="A new answer was requested; the author is told.",
    )
    return redirect("reader-reports")


@require_POST
@allowed_if(permissions.can_publish)
def triage(request, report_id: int):
    report = get_object_or_404(ReaderReport, pk=report_id)
    outcome = request.POST.get("outcome", "")
    attempt(
        request,
        reader_reports.triage_reader_report,
        report,
        actor=request.user,
        outcome=outcome,
        response=request.POST.get("response", ""),
        success=TRIAGE_SUCCESS.get(outcome, ""),
    )
    return redirect("reader-reports")


urlpatterns = [
    path("desk/editor/", desk, name="editor-desk"),
    path("desk/editor/articles/<int:article_id>/", article_page, name="editor-article"),
    path("desk/editor/articles/<int:article_id>/assign/", assign, name="editor-assign"),
    path("desk/editor/articles/<int:article_id>/settings/", edit_settings, name="editor-settings"),
    path("desk/editor/articles/<int:article_id>/publish/", publish, name="editor-publish"),
    path(
        "desk/editor/articles/<int:article_id>/requests/<int:request_id>/cancel/", cancel, name="editor-cancel-publish"
    ),
    path("desk/editor/articles/<int:article_id>/retract/", retract, name="editor-retract"),
    path("desk/editor/articles/<int:article_id>/start-review/", start_review, name="editor-start-review"),
    path("desk/editor/articles/<int:article_id>/rereview/", rereview, name="editor-rereview"),
    path("desk/editor/accounts/", accounts, name="editor-accounts"),
    path("desk/editor/accounts/unlock/", unlock, name="editor-unlock"),
    path("desk/editor/stuck/<uuid:message_id>/retry/", retry_work, name="editor-retry-work"),
    path("desk/editor/stuck/emails/<int:notification_id>/retry/", retry_email, name="editor-retry-email"),
    path("desk/editor/retractions/", retraction_list, name="editor-retractions"),
    path("desk/editor/retractions/add/", retraction_add, name="editor-retraction-add"),
    path("desk/editor/reports/", reports, name="reader-reports"),
    path("desk/editor/reports/<int:report_id>/triage/", triage, name="reader-report-triage"),
    path("desk/editor/reports/<int:report_id>/draft-request/", request_draft, name="reader-report-draft-request"),
]
