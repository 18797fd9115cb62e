"""The public pages' views: the index, a live article, a version, the editorial policy, reader reports."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from articles.models import ArticleState, PublishedVersion, Reference, ReferenceKind
from editorial import page_versions
from editorial.accounts import client_address
from editorial.exceptions import EditorialError, TooManyAttempts
from editorial.models import ReaderReportKind
from editorial.services.reader_reports import MAX_MESSAGE_CHARS, submit_reader_report
from reviewers.models import ReviewStatus
from reviewers.selectors import doses_verified_by, review_statuses, standing_approvals

from . import selectors
from .forms import FEEDBACK_FORMS, HONEYPOT, Feedback, ReaderReportForm
from .presentation import fit_to_page, names, reference_view, stepper
from .structured_data import json_ld, medical_web_page

AUDIENCES = {
    "professional": "Healthcare professional",
    "patient": "Patient or caregiver",
    "student": "Student",
}
INDEX_PAGE_SIZE = 50


def _audience(request) -> str:
    """`?audience=` (the form without JavaScript). A remembered choice is applied in the browser (audience.js),
    so the page stays the same bytes for every reader."""
    value = request.GET.get("audience", "")
    return value if value in AUDIENCES else ""


def _private_unless_anonymous(request, response: HttpResponse) -> HttpResponse:
    """A signed-in user's page has their own header: no shared cache. Anonymous pages are made public by
    caching.PublicPageCache."""
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    return response


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
    page_versions.remember(article.pk, article.slug)

    approvers = list(approval.approvers) if approval else []
    # Only under the article's stricter setting, and only when it holds for this revision's approvers: one
    # query more, for those articles alone.
    doses_checked = (
        approved
        and article.doses_need_verification
        and doses_verified_by(revision, [d.reviewer_id for d in approval.decisions.all()])
    )
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
        machine_drafted=revision.machine_drafted,
    )
    context = {
        "article": article,
        "version": version,
        "revision": revision,
        "title": revision.title,
        # Sanitised with an allow-list (nh3) when the version was published.
        "body_html": mark_safe(fit_to_page(version.html)),
        "review_status": review_status,
        "review_status_label": ReviewStatus(review_status).label,
        "approved": approved,
        "steps": stepper(review_status),
        "approval": approval,
        "approvers_text": names(approvers),
        "decisions": list(approval.decisions.all()) if approval else [],
        "doses_checked": doses_checked,
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
        "sent": request.GET.get("sent", "") if request.GET.get("sent", "") in dict(ReaderReportKind.choices) else "",
    }
    response = render(request, "editorial/public/article.html", context, status=status)
    return _private_unless_anonymous(request, response)


def _retracted_page(request, version: PublishedVersion):
    article = version.article
    live = None
    if article.live_version_id and article.live_version_id != version.pk:
        live = PublishedVersion.objects.defer("html").filter(pk=article.live_version_id).first()
    context = {"article": article, "version": version, "title": version.revision.title, "live": live}
    page_versions.remember(article.pk, article.slug)
    return _private_unless_anonymous(request, render(request, "editorial/public/retracted.html", context, status=410))


@require_safe
def public_index(request):
    """Articles with a live version, most recently updated first."""
    page = Paginator(selectors.live_versions(), INDEX_PAGE_SIZE).get_page(request.GET.get("page"))
    approved = standing_approvals([v.revision_id for v in page])
    entries = [{"version": v, "approved": v.revision_id in approved} for v in page]
    return _private_unless_anonymous(
        request, render(request, "editorial/public/index.html", {"page": page, "entries": entries})
    )


@require_safe
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


def _cross_site(request) -> bool:
    """A browser's own word that the form was posted from another site (Sec-Fetch-Site, else Origin)."""
    fetch_site = request.META.get("HTTP_SEC_FETCH_SITE")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None or origin == "null":
        return origin == "null"
    return urlsplit(origin).netloc != request.get_host()


# No CSRF token: the public page carries none, so that it is the same bytes for every reader (a shared cache
# or CDN serves it). The form is still protected: a browser's cross-site post is refused, a filled honeypot
# is dropped, and the service limits messages per client address.
@csrf_exempt
@require_POST
def reader_report(request, slug: str):
    """A reader's problem report or follow-up question on the version they read."""
    if _cross_site(request):
        raise PermissionDenied("Posted from another site.")
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
    # Back to the page, where the thank-you note shows (in the URL: no session, no cookie).
    kind = form.data.get("kind") if form.data.get("kind") in dict(ReaderReportKind.choices) else "problem"
    back = f"{_page_path(version, version.article.live_version_id)}?sent={kind}#feedback"
    if form.data.get(HONEYPOT):
        return redirect(back)  # looks like success to the sender; nothing is stored
    if not valid:
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
    return redirect(back)


urlpatterns = [
    path("articles/", public_index, name="public-index"),
    path("articles/<slug:slug>/", article_public, name="article-public"),
    path("articles/<slug:slug>/v/<int:number>/", article_version, name="article-version"),
    path("articles/<slug:slug>/feedback/", reader_report, name="reader-report"),
    path("editorial-policy/", editorial_policy, name="editorial-policy"),
]
