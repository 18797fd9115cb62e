"""The public pages: the article index, published articles and their versions, the editorial policy, and
readers' problem reports and follow-up questions.

They live here rather than in `articles` because the page shows review records (`reviewers`) and takes
reports through an `editorial` service, and the dependency direction is editorial → reviewers → articles.
The reads are the `_load_*`/`_fingerprint` functions below; the review status itself comes from
`reviewers.selectors.review_statuses`, and the report rules (rate limit, message checks) from
`editorial.services.reader_reports`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import condition, require_POST, require_safe

from articles.models import Article, PublishedVersion, Reference, ReferenceKind
from editorial.exceptions import EditorialError
from editorial.models import ReaderReportKind
from editorial.services.publishing import html_cache_key
from editorial.services.reader_reports import submit_reader_report
from reviewers.models import Decision, RevisionApproval
from reviewers.selectors import review_statuses

# Part of every ETag, with a digest of the page's templates: a deploy that changes the markup changes it.
PAGE_VERSION = "public-1"
PAGE_TEMPLATES = (
    "base.html",
    "editorial/public/article.html",
    "editorial/public/_reference.html",
    "editorial/public/_feedback.html",
)
AUDIENCES = {
    "professional": "Healthcare professional",
    "patient": "Patient or caregiver",
    "student": "Student",
}
AUDIENCE_COOKIE = "audience"
STEPS = (("submitted", "Submitted"), ("under_review", "Under Review"), ("approved", "Approved"))
HONEYPOT = "website"
FEEDBACK_FORMS = (
    ("problem", "Report a problem", "What is wrong or unclear?", "Send report"),
    ("question", "Have a follow-up question?", "Your question", "Send question"),
)
INDEX_PAGE_SIZE = 50
# As django.utils.html.json_script: nothing in the data can close the <script> element or open a comment.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
_HEADING = re.compile(r"<(/?)h([1-6])>")
_HREFLESS_LINK = '<a rel="noopener noreferrer nofollow">'


# --- Reads -------------------------------------------------------------------------------------------


@dataclass
class Fingerprint:
    """What the public page of one version depends on, read in one query (for ETag and Last-Modified)."""

    values: dict

    @property
    def retracted(self) -> bool:
        return self.values["retracted_at"] is not None

    def last_modified(self):
        stamps = [
            self.values[name]
            for name in ("published_at", "retracted_at", "article__updated_at", "approved_at", "signed_at")
            if self.values[name] is not None
        ]
        return max(stamps)


def _fingerprint(request, slug: str, number: int | None) -> Fingerprint | None:
    """The version on screen and everything its review status is computed from; memoised per request."""
    memo = getattr(request, "_public_fingerprints", None)
    if memo is None:
        memo = request._public_fingerprints = {}
    if (slug, number) in memo:
        return memo[(slug, number)]
    versions = PublishedVersion.objects.filter(article__slug=slug)
    # The live page follows the article's live version; a version page is fixed by its number.
    versions = versions.filter(article__live_version=F("pk")) if number is None else versions.filter(number=number)
    approvals = RevisionApproval.objects.filter(revision_id=OuterRef("revision_id"))
    decisions = Decision.objects.filter(revision_id=OuterRef("revision_id"))
    row = (
        versions.annotate(
            approval_id=Subquery(approvals.order_by("-id").values("id")[:1]),
            approved_at=Subquery(approvals.order_by("-approved_at").values("approved_at")[:1]),
            decision_id=Subquery(decisions.order_by("-id").values("id")[:1]),
            signed_at=Subquery(decisions.order_by("-signed_at").values("signed_at")[:1]),
        )
        .values(
            "pk",
            "number",
            "revision_id",
            "published_at",
            "retracted_at",
            "article_id",
            "article__updated_at",
            "article__state",
            "article__current_revision_id",
            "article__live_version_id",
            "article__review_round",
            "article__last_reviewed_at",
            "approval_id",
            "approved_at",
            "decision_id",
            "signed_at",
        )
        .first()
    )
    memo[(slug, number)] = Fingerprint(row) if row else None
    return memo[(slug, number)]


def _load_live(slug: str) -> tuple[Article, PublishedVersion | None]:
    article = (
        Article.objects.select_related("live_version__revision").defer("live_version__html").filter(slug=slug).first()
    )
    if article is None:
        raise Http404("No such article.")
    return article, article.live_version


def _load_version(slug: str, number: int) -> PublishedVersion:
    version = (
        PublishedVersion.objects.select_related("article", "revision")
        .defer("html")
        .filter(article__slug=slug, number=number)
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    return version


def _latest_version(article: Article) -> PublishedVersion | None:
    return (
        PublishedVersion.objects.select_related("revision")
        .defer("html")
        .filter(article=article)
        .order_by("-number")
        .first()
    )


def _version_list(article: Article) -> list[PublishedVersion]:
    return list(
        PublishedVersion.objects.filter(article=article)
        .select_related("revision")
        .only("number", "published_at", "retracted_at", "article_id", "revision_id", "revision__change_summary")
        .order_by("-number")
    )


def _latest_approval(revision_id: int) -> RevisionApproval | None:
    return (
        RevisionApproval.objects.filter(revision_id=revision_id)
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("conflict_declaration").order_by("signed_at", "id"),
            )
        )
        .order_by("-approved_at", "-id")
        .first()
    )


def _version_html(version: PublishedVersion) -> str:
    """The sanitised HTML the publishing task rendered, from the cache (filled again on a miss)."""
    key = html_cache_key(version.pk)
    html = cache.get(key)
    if html is None:
        html = PublishedVersion.objects.values_list("html", flat=True).get(pk=version.pk)
        cache.set(key, html, None)
    return html


# --- Presentation helpers ----------------------------------------------------------------------------


def _fit_to_page(html: str) -> str:
    """Sanitised body HTML as it sits in the page, still sanitised.

    The page's <h1> is the question, so the body's headings are re-levelled under it: the outermost become
    <h2>, each nested one a level deeper, and no level is skipped (`#` then `###` becomes h2 then h3).
    A link whose unsafe URL the sanitiser dropped keeps only its `rel`, which HTML allows only with an href.
    Both are exact-tag rewrites, safe on the sanitiser's output: it writes these tags without attributes
    (headings) or in this one form (the link), and any `<` in text is escaped.
    """
    html = html.replace(_HREFLESS_LINK, "<a>")
    open_levels: list[int] = []  # the original levels of the headings enclosing the current one

    def relevel(match: re.Match) -> str:
        closing, original = match.group(1), int(match.group(2))
        if closing:
            return f"</h{min(2 + len(open_levels) - 1, 6)}>"
        while open_levels and open_levels[-1] >= original:
            open_levels.pop()
        open_levels.append(original)
        return f"<h{min(2 + len(open_levels) - 1, 6)}>"

    return _HEADING.sub(relevel, html)


def _safe_http_url(url: str) -> str:
    """An http(s) URL to link to, or "" (a `javascript:` or other scheme is never linked)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


@dataclass
class ReferenceView:
    number: int
    kind: str
    citation: str
    year: int | None
    doi: str
    doi_url: str
    pmid: str
    pmid_url: str
    url: str


def _reference_view(reference: Reference) -> ReferenceView:
    doi = reference.doi.strip()
    pmid = reference.pmid.strip()
    return ReferenceView(
        number=reference.number,
        kind=reference.kind,
        citation=reference.citation,
        year=reference.year,
        doi=doi,
        doi_url=f"https://doi.org/{quote(doi, safe='/:;()._-')}" if doi else "",
        pmid=pmid,
        pmid_url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid.isdigit() else "",
        url=_safe_http_url(reference.url),
    )


def _names(names: list[str]) -> str:
    """Printed names with credentials contain commas ("Jane Roe, MD"), so they are joined with "and"/";"."""
    names = [n for n in names if n]
    if len(names) <= 2:
        return " and ".join(names)
    return "; ".join(names[:-1]) + " and " + names[-1]


def _json_ld(data: dict) -> SafeString:
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(text)  # `<`, `>` and `&` escaped: the data cannot end the <script> element


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


@dataclass
class Feedback:
    """The reader-report forms' state when the page is shown again after a refused submission."""

    kind: str = ""
    message: str = ""
    email: str = ""
    error: str = ""


def _version_page(request, version: PublishedVersion, *, feedback: Feedback | None = None, status: int = 200):
    article = version.article
    revision = version.revision
    review_status = review_statuses(article, [revision.pk])[revision.pk]
    approved = review_status == "approved"
    approval = _latest_approval(revision.pk) if approved else None
    references = [_reference_view(r) for r in Reference.objects.filter(revision_id=revision.pk).order_by("number")]
    versions = _version_list(article)
    live = next((v for v in versions if v.pk == article.live_version_id), None)
    is_live = version.pk == article.live_version_id
    audience = _audience(request)
    summary = version.plain_language_summary.strip()

    step_index = [key for key, _ in STEPS].index(review_status)
    steps = [
        {
            "key": key,
            "label": label,
            "current": i == step_index,
            "css": " ".join(
                name for name, on in (("done", i < step_index or approved), ("current", i == step_index)) if on
            ),
        }
        for i, (key, label) in enumerate(STEPS)
    ]
    approvers = list(approval.approvers) if approval else []
    last_reviewed = approval.approved_at if approval else None
    if approval and article.last_reviewed_at and revision.pk == article.current_revision_id:
        last_reviewed = article.last_reviewed_at
    canonical = request.build_absolute_uri(reverse("article-public", args=[article.slug])) if is_live else ""
    page_url = request.build_absolute_uri(_page_path(version, article.live_version_id))

    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": revision.title,
        "headline": revision.title,
        "url": canonical or page_url,
        "inLanguage": "en",
        "version": str(version.number),
        "datePublished": versions[-1].published_at if versions else version.published_at,
        "dateModified": version.published_at,
        "publisher": {"@type": "Organization", "name": "Editorial"},
        "citation": [
            {
                "@type": "CreativeWork",
                "name": r.citation,
                **({"datePublished": str(r.year)} if r.year else {}),
                **({"url": r.doi_url or r.pmid_url or r.url} if (r.doi_url or r.pmid_url or r.url) else {}),
            }
            for r in references
        ],
    }
    if summary:
        data["description"] = summary[:500]
    if approved:
        data["reviewedBy"] = [{"@type": "Person", "name": name} for name in approvers]
        data["lastReviewed"] = last_reviewed.date().isoformat() if last_reviewed else None
    html = _fit_to_page(_version_html(version))

    context = {
        "article": article,
        "version": version,
        "revision": revision,
        "title": revision.title,
        "body_html": mark_safe(html),  # sanitised with an allow-list (nh3) when the version was published
        "review_status": review_status,
        "review_status_label": dict(STEPS)[review_status],
        "approved": approved,
        "steps": steps,
        "approval": approval,
        "approvers_text": _names(approvers),
        "decisions": list(approval.decisions.all()) if approval else [],
        "last_reviewed": last_reviewed,
        "rereview_open": approved
        and revision.pk == article.current_revision_id
        and article.state in ("under_review", "changes_requested"),
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
        "json_ld": _json_ld(data),
        "feedback": feedback or Feedback(),
        "honeypot": HONEYPOT,
        "audience_label": AUDIENCES.get(audience, ""),
        "feedback_forms": FEEDBACK_FORMS,
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


# --- Conditional GET ---------------------------------------------------------------------------------


def _conditional_key(request, slug: str, number: int | None = None) -> Fingerprint | None:
    """The fingerprint when the page may be answered with 304, else None (no ETag, the view runs).

    Signed-in users see their own header, and a page carrying a one-time message must be shown afresh.
    """
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    fingerprint = _fingerprint(request, slug, number)
    if fingerprint is None or fingerprint.retracted:
        return None
    return fingerprint


@functools.cache
def _templates_digest() -> str:
    digest = hashlib.sha256(PAGE_VERSION.encode())
    for name in PAGE_TEMPLATES:
        digest.update(Path(get_template(name).origin.name).read_bytes())
    return digest.hexdigest()[:16]


def _csrf_secret(request) -> str:
    """The page carries a CSRF token for its forms, so a browser with another CSRF cookie needs a fresh page.

    `get_token` makes the secret now when the browser has none (the middleware sends it as the cookie), so
    the first response's ETag already matches the browser's next request.
    """
    get_token(request)
    return request.META.get("CSRF_COOKIE", "")


def _etag(request, slug: str, number: int | None = None) -> str | None:
    fingerprint = _conditional_key(request, slug, number)
    if fingerprint is None:
        return None
    parts = [
        _templates_digest(),
        "live" if number is None else "version",
        *(str(fingerprint.values[k]) for k in sorted(fingerprint.values)),
        _audience(request),
        _csrf_secret(request),
    ]
    return '"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40] + '"'


def _last_modified(request, slug: str, number: int | None = None):
    fingerprint = _conditional_key(request, slug, number)
    return fingerprint.last_modified() if fingerprint else None


# --- Views -------------------------------------------------------------------------------------------


@require_safe
def public_index(request):
    """Articles with a live version, most recently updated first."""
    versions = (
        PublishedVersion.objects.filter(article__live_version=F("pk"))
        .select_related("article", "revision")
        .defer("html", "revision__body", "revision__text")
        .order_by("-published_at", "-pk")
    )
    page = Paginator(versions, INDEX_PAGE_SIZE).get_page(request.GET.get("page"))
    approved = set(
        RevisionApproval.objects.filter(revision_id__in=[v.revision_id for v in page]).values_list(
            "revision_id", flat=True
        )
    )
    entries = [{"version": v, "approved": v.revision_id in approved} for v in page]
    return render(request, "editorial/public/index.html", {"page": page, "entries": entries})


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def article_public(request, slug: str):
    """The live version of an article; 410 with the notice when it was retracted; 404 when never published."""
    article, version = _load_live(slug)
    if version is None:
        latest = _latest_version(article)
        if latest is not None and latest.retracted_at is not None:
            latest.article = article
            return _retracted_page(request, latest)
        raise Http404("This article is not published.")
    version.article = article
    if version.retracted_at is not None:
        return _retracted_page(request, version)
    return _version_page(request, version)


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def article_version(request, slug: str, number: int):
    """One published version, live or earlier; 410 with the notice when it was retracted."""
    version = _load_version(slug, number)
    if version.retracted_at is not None:
        return _retracted_page(request, version)
    return _version_page(request, version)


@require_safe
def editorial_policy(request):
    context = {"review_interval_days": settings.EDITORIAL_REVIEW_INTERVAL_DAYS}
    return render(request, "editorial/public/policy.html", context)


class ReaderReportForm(forms.Form):
    """The shape of the input; the service decides what a message must be and how often one may send."""

    kind = forms.ChoiceField(choices=ReaderReportKind.choices)
    version = forms.IntegerField(required=False, min_value=1)
    message = forms.CharField(required=False, strip=False)
    email = forms.EmailField(required=False, max_length=254)
    audience = forms.CharField(required=False, max_length=30)
    website = forms.CharField(required=False)  # the honeypot: people never see it, simple bots fill it


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
        article, version = _load_live(slug)
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
            client=request.META.get("REMOTE_ADDR") or "unknown",
        )
    except EditorialError as error:
        feedback = Feedback(
            kind=data["kind"],
            message=data["message"],
            email=data["email"],
            error=error.detail,
        )
        response: HttpResponse = _version_page(request, version, feedback=feedback, status=error.status_code)
        if error.status_code == 429:
            response.headers["Retry-After"] = "3600"
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
