"""The public pages' views: the index, a live article, a version, the editorial policy, reader reports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import condition, require_POST, require_safe

from articles.models import ArticleState, PublishedVersion, Reference, ReferenceKind
from editorial.accounts import client_address
from editorial.exceptions import EditorialError, TooManyAttempts
from editorial.models import ReaderReportKind
from editorial.services.reader_reports import MAX_MESSAGE_CHARS, submit_reader_report
from reviewers.models import ReviewStatus
from reviewers.selectors import review_statuses, standing_approvals

from . import caching, selectors
from .forms import FEEDBACK_FORMS, HONEYPOT, Feedback, ReaderReportForm
from .presentation import fit_to_page, names, reference_view, stepper
from .structured_data import json_ld, medical_web_page

AUDIENCES = {
    "professional": "Healthcare professional",
    "patient": "Patient or caregiver",
    "student": "Student",
}
AUDIENCE_COOKIE = "audience"
INDEX_PAGE_SIZE = 50


def _audience(request) -> str:
    """The reader's choice: `?audience=` (the form without JavaScript), else the remembered cookie."""
    for value in (request.GET.get("audience"), request.COOKIES.get(AUDIENCE_COOKIE)):
        if value in AUDIENCES:
            return value
    return ""


def _page_path(version: PublishedVersion, live_id: int | None) -> str:
    slug = version.article.slug
    if version.pk == live_id:
        return reverse("article-public", args=[slug])
    return reverse("article-version", args=[slug, version.number])


def _version_page(request, version: PublishedVersion, *, feedback: Feedback | None = None, status: int = 200):
    article = version.article
    revision = version.revision
    approval = standing_approvals([revision.pk], with_decisions=True).get(revision.pk)
    review_status = review_statuses(article, [revision.pk], approved={revision.pk} if approval else set())[revision.pk]
    approved = review_status == ReviewStatus.APPROVED
    references = [reference_view(r) for r in Reference.objects.filter(revision_id=revision.pk).order_by("number")]
    versions = selectors.version_list(article)
    live = next((v for v in versions if v.pk == article.live_version_id), None)
    is_live = version.pk == article.live_version_id
    audience = _audience(request)
    summary = revision.plain_language_summary.strip()

    approvers = list(approval.approvers) if approval else []
    last_reviewed = approval.approved_at if approval else None
    if approval and article.last_reviewed_at and revision.pk == article.current_revision_id:
        last_reviewed = article.last_reviewed_at
    canonical = request.build_absolute_uri(reverse("article-public", args=[article.slug])) if is_live else ""
    page_url = request.build_absolute_uri(_page_path(version, article.live_version_id))
    structured = medical_web_page(
        title=revision.title,
        url=canonical or page_url,
        version_number=version.number,
        first_published=versions[-1].published_at if versions else version.published_at,
        published=version.published_at,
        references=references,
        summary=summary,
        reviewers=approvers if approved else None,
        last_reviewed=last_reviewed,
    )
    context = {
        "article": article,
        "version": version,
        "revision": revision,
        "title": revision.title,
        # Sanitised with an allow-list (nh3) when the version was published.
        "body_html": mark_safe(fit_to_page(selectors.version_html(version))),
        "review_status": review_status,
        "review_status_label": ReviewStatus(review_status).label,
        "approved": approved,
        "steps": stepper(review_status),
        "approval": approval,
        "approvers_text": names(approvers),
        "decisions": list(approval.decisions.all()) if approval else [],
        "last_reviewed": last_reviewed,
        "rereview_open": approved
        and revision.pk == article.current_revision_id
        and article.state in (ArticleState.UNDER_REVIEW, ArticleState.CHANGES_REQUESTED),
        "guidelines": [r for r in references if r.kind == ReferenceKind.GUIDELINE],
        "research": [r for r in references if r.kind == ReferenceKind.RESEARCH],
        "versions": versions,
        "live": live,
        "is_live": is_live,
        "canonical": canonical,
        "summary": summary,
        "audience": audience,
        "audiences": AUDIENCES,
        "show_summary": audience not in ("professional", "student"),
        "json_ld": json_ld(structured),
        "feedback": feedback or Feedback(),
        "honeypot": HONEYPOT,
        "audience_label": AUDIENCES.get(audience, ""),
        "feedback_forms": FEEDBACK_FORMS,
        "message_limit": MAX_MESSAGE_CHARS,
    }
    response = render(request, "editorial/public/article.html", context, status=status)
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _retracted_page(request, version: PublishedVersion):
    article = version.article
    live = None
    if article.live_version_id and article.live_version_id != version.pk:
        live = PublishedVersion.objects.defer("html").filter(pk=article.live_version_id).first()
    context = {"article": article, "version": version, "title": version.revision.title, "live": live}
    return render(request, "editorial/public/retracted.html", context, status=410)


def _etag(request, slug: str, number: int | None = None) -> str | None:
    return caching.etag(request, slug, number, audience=_audience(request))


@require_safe
def public_index(request):
    """Articles with a live version, most recently updated first."""
    page = Paginator(selectors.live_versions(), INDEX_PAGE_SIZE).get_page(request.GET.get("page"))
    approved = standing_approvals([v.revision_id for v in page])
    entries = [{"version": v, "approved": v.revision_id in approved} for v in page]
    return render(request, "editorial/public/index.html", {"page": page, "entries": entries})


@require_safe
@condition(etag_func=_etag, last_modified_func=caching.last_modified)
def article_public(request, slug: str):
    """The live version of an article; 410 with the notice when it was retracted; 404 when never published."""
    article, version = selectors.live_version(slug)
    if version is None:
        latest = selectors.latest_version(article)
        if latest is not None and latest.retracted_at is not None:
            latest.article = article
            return _retracted_page(request, latest)
        raise Http404("This article is not published.")
    version.article = article
    if version.retracted_at is not None:
        return _retracted_page(request, version)
    return _version_page(request, version)


@require_safe
@condition(etag_func=_etag, last_modified_func=caching.last_modified)
def article_version(request, slug: str, number: int):
    """One published version, live or earlier; 410 with the notice when it was retracted."""
    version = selectors.version_by_number(slug, number)
    if version.retracted_at is not None:
        return _retracted_page(request, version)
    return _version_page(request, version)


@require_safe
def editorial_policy(request):
    context = {"review_interval_days": settings.EDITORIAL_REVIEW_INTERVAL_DAYS}
    return render(request, "editorial/public/policy.html", context)


@require_POST
def reader_report(request, slug: str):
    """A reader's problem report or follow-up question on the version they read."""
    form = ReaderReportForm(request.POST)
    valid = form.is_valid()
    number = form.cleaned_data.get("version")  # the fields that passed, even when another did not
    if number:
        version = get_object_or_404(
            PublishedVersion.objects.select_related("article", "revision").defer("html"),
            article__slug=slug,
            number=number,
            retracted_at__isnull=True,
        )
    else:
        article, version = selectors.live_version(slug)
        if version is None or version.retracted_at is not None:
            raise Http404("This article is not published.")
        version.article = article
    # Back to the top of the page, where the thank-you message shows.
    back = _page_path(version, version.article.live_version_id)
    thanks = "Thank you. Your message has reached our editors."
    if form.data.get(HONEYPOT):
        # Looks like success to the sender; nothing is stored.
        messages.success(request, thanks)
        return redirect(back)
    if not valid:
        kind = form.data.get("kind") if form.data.get("kind") in dict(ReaderReportKind.choices) else "problem"
        feedback = Feedback(
            kind=kind,
            message=form.data.get("message", ""),
            email=form.data.get("email", ""),
            error="Please correct the form: " + " ".join(f"{e}" for errors in form.errors.values() for e in errors),
        )
        return _version_page(request, version, feedback=feedback, status=400)
    data = form.cleaned_data
    audience = data["audience"] if data["audience"] in AUDIENCES else _audience(request)
    try:
        submit_reader_report(
            version,
            kind=data["kind"],
            message=data["message"],
            email=data["email"],
            audience=audience,
            client=client_address(request),
        )
    except EditorialError as error:
        feedback = Feedback(kind=data["kind"], message=data["message"], email=data["email"], error=error.detail)
        response: HttpResponse = _version_page(request, version, feedback=feedback, status=error.status_code)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    messages.success(request, thanks)
    return redirect(back)


urlpatterns = [
    path("articles/", public_index, name="public-index"),
    path("articles/<slug:slug>/", article_public, name="article-public"),
    path("articles/<slug:slug>/v/<int:number>/", article_version, name="article-version"),
    path("articles/<slug:slug>/feedback/", reader_report, name="reader-report"),
    path("editorial-policy/", editorial_policy, name="editorial-policy"),
]
