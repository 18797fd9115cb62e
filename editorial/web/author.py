"""The author's desk, and writing an article: new drafts, new revisions, a live preview with the citation check."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.validators import URLValidator
from django.db.models import Count, Q
from django.forms import formset_factory
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles.models import EDITABLE_STATES, ArticleState, ReferenceKind
from articles.rendering import check_citations, render_body
from articles.selectors import visible_articles
from editorial import permissions
from editorial.limits import body_limit
from editorial.services import articles as article_services
from editorial.services import draft_requests
from editorial.services.common import LINE_BREAK, ONE_LINE
from reviewers.models import AnnotationStatus

from .common import LimitedForm, allowed_if, attempt, visible_article_or_404

MAX_REFERENCES = 200
BLANK_ROWS = 2  # empty reference rows offered below the filled ones


def lf(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; revisions keep LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class ArticleForm(LimitedForm):
    long_text_fields = ("body",)

    title = forms.CharField(max_length=500)
    body = forms.CharField(strip=False, widget=forms.Textarea)
    plain_language_summary = forms.CharField(required=False, widget=forms.Textarea)
    change_summary = forms.CharField(max_length=1000, required=False)
    base_revision = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    # A new answer asked of this author by an editor (from a reader's question).
    draft_request = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        if LINE_BREAK.search(title):  # the service refuses it too; here the field is marked
            raise forms.ValidationError(ONE_LINE)
        return title

    def clean_body(self) -> str:
        body = lf(self.cleaned_data["body"])
        if not body.strip():
            raise forms.ValidationError("This field is required.")
        return body

    def clean_plain_language_summary(self) -> str:
        return lf(self.cleaned_data["plain_language_summary"])


class ReferenceForm(LimitedForm):
    kind = forms.ChoiceField(choices=ReferenceKind.choices, initial=ReferenceKind.RESEARCH)
    citation = forms.CharField(required=False)
    year = forms.IntegerField(min_value=1500, max_value=2100, required=False)
    doi = forms.CharField(max_length=255, required=False, label="DOI")
    pmid = forms.RegexField(r"^[0-9]{1,12}$", required=False, label="PMID", error_messages={"invalid": "Digits only."})
    url = forms.URLField(
        max_length=2000,
        required=False,
        label="URL",
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
    )

    def clean(self):
        data = super().clean()
        others = [data.get(name) for name in ("year", "doi", "pmid", "url")]
        if not data.get("citation") and any(others):
            raise forms.ValidationError("A reference row needs its citation (or leave the whole row empty).")
        return data


ReferenceFormSet = formset_factory(
    ReferenceForm, extra=0, max_num=MAX_REFERENCES, absolute_max=MAX_REFERENCES, validate_max=True
)


def _references(formset) -> list[dict]:
    """The rows that have a citation, in order: their position is the [n] of the marker."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data.get("citation"):
            continue
        rows.append(
            {
                "kind": data["kind"],
                "citation": data["citation"],
                "year": data.get("year"),
                "doi": data.get("doi") or "",
                "pmid": data.get("pmid") or "",
                "url": data.get("url") or "",
            }
        )
    return rows


def _formset_with_rows(data, total: int) -> ReferenceFormSet:
    """The posted rows, shown again with `total` rows (the added ones empty)."""
    data = data.copy()
    data["references-TOTAL_FORMS"] = str(min(total, MAX_REFERENCES))
    return ReferenceFormSet(data, prefix="references")


def _posted_rows(data) -> int:
    try:
        return max(0, min(int(data.get("references-TOTAL_FORMS", 0)), MAX_REFERENCES))
    except ValueError:
        return 0


def _preview(body: str, references: list[dict]) -> dict:
    rendered = render_body(body)
    report = check_citations(rendered.citations, list(range(1, len(references) + 1)))
    return {
        # Sanitised by render_body (nh3 with an allow-list).
        "html": mark_safe(rendered.html),
        "complete": report.complete,
        "sentence": "Every citation marker has a reference, and every reference is cited."
        if report.complete
        else report.sentence(),
    }


def _preview_rows(data) -> list[dict]:
    """The reference rows of a posted form for the preview: those with a citation, whatever else they hold."""
    rows = []
    for i in range(_posted_rows(data)):
        citation = (data.get(f"references-{i}-citation") or "").strip()
        if citation:
            rows.append({"citation": citation})
    return rows


@allowed_if(permissions.can_write_articles)
@require_GET
def author_desk(request):
    user = request.user
    articles = (
        visible_articles(user)
        .filter(created_by=user)
        .annotate(open_annotations=Count("annotations", filter=Q(annotations__status=AnnotationStatus.OPEN)))
        .order_by("-updated_at", "-id")
    )
    by_state: dict[str, list] = {}
    for article in articles:
        by_state.setdefault(article.state, []).append(article)
    groups = [
        {"state": value, "label": label, "articles": by_state[value], "editable": value in EDITABLE_STATES}
        for value, label in ArticleState.choices
        if value in by_state
    ]
    asked = list(draft_requests.open_requests_for(user).select_related("report", "requested_by"))
    return render(request, "editorial/author/desk.html", {"groups": groups, "draft_requests": asked})


def _editor_page(request, *, article=None, form, formset, preview=None, status=200, draft_request=None):
    if draft_request is None and form.data.get("draft_request", "").isdigit() and article is None:
        draft_request = draft_requests.open_requests_for(request.user).filter(pk=form.data["draft_request"]).first()
    context = {
        "draft_request": draft_request,
        "article": article,
        "form": form,
        "formset": formset,
        "preview": preview,
        "editable": article is None or article.state in EDITABLE_STATES,
    }
    return render(request, "editorial/author/edit.html", context, status=status)


def _blank_rows(initial: list[dict]) -> ReferenceFormSet:
    formset = formset_factory(ReferenceForm, extra=BLANK_ROWS, max_num=MAX_REFERENCES, absolute_max=MAX_REFERENCES)
    return formset(prefix="references", initial=initial)


def _handle_post(request, *, article=None):
    """Add a row, preview, or save; everything typed stays on the page when the save is refused."""
    action = request.POST.get("action", "save")
    form = ArticleForm(request.POST)
    rows = _posted_rows(request.POST)
    if action == "add_row":
        return _editor_page(request, article=article, form=form, formset=_formset_with_rows(request.POST, rows + 1))
    formset = ReferenceFormSet(request.POST, prefix="references")
    if action == "preview":
        body = lf(request.POST.get("body", ""))[: body_limit()]
        preview = _preview(body, _preview_rows(request.POST))
        return _editor_page(request, article=article, form=form, formset=formset, preview=preview)
    if not (form.is_valid() & formset.is_valid()):
        messages.error(request, "Please correct the fields marked below.")
        return _editor_page(request, article=article, form=form, formset=formset)
    data, references = form.cleaned_data, _references(formset)
    if article is None:
        content = {
            "title": data["title"],
            "body": data["body"],
            "references": references,
            "plain_language_summary": data["plain_language_summary"],
        }
        if data.get("draft_request"):
            asked = attempt(request, draft_requests.get_open_request, request.user, data["draft_request"])
            article = asked and attempt(
                request,
                draft_requests.draft_answer,
                asked,
                actor=request.user,
                **content,
                success="Your draft answer was saved as revision 1.",
            )
        else:
            article = attempt(
                request,
                article_services.create_article,
                actor=request.user,
                **content,
                success="Your draft was saved as revision 1.",
            )
        if article is None:
            return _editor_page(request, form=form, formset=formset)
        return redirect("workspace", article_id=article.pk)
    current = article.current_revision
    existing = [{k: v for k, v in r.as_dict().items() if k != "number"} for r in current.references.all()]
    changes = {
        "title": data["title"] if data["title"] != current.title else None,
        "body": data["body"] if data["body"] != current.body else None,
        "references": references if references != existing else None,
        "plain_language_summary": data["plain_language_summary"]
        if data["plain_language_summary"] != current.plain_language_summary
        else None,
    }
    saved = attempt(
        request,
        article_services.edit_article,
        article,
        actor=request.user,
        change_summary=data["change_summary"],
        base_revision=data["base_revision"],
        **changes,
        success="Saved as a new revision.",
    )
    if saved is None:
        article = visible_article_or_404(request, article.pk)
        return _editor_page(request, article=article, form=form, formset=formset)
    return redirect("workspace", article_id=article.pk)


@allowed_if(permissions.can_write_articles)
@require_http_methods(["GET", "POST"])
def article_new(request):
    if request.method == "POST":
        return _handle_post(request)
    asked = None
    if request.GET.get("request", "").isdigit():  # drafting an answer an editor asked for
        asked = attempt(request, draft_requests.get_open_request, request.user, int(request.GET["request"]))
    if asked is None:
        return _editor_page(request, form=ArticleForm(), formset=_blank_rows([]))
    form = ArticleForm(initial={"title": asked.title, "draft_request": asked.pk})
    return _editor_page(request, form=form, formset=_blank_rows([]), draft_request=asked)


@allowed_if(permissions.can_write_articles)
@require_http_methods(["GET", "POST"])
def article_edit(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    if request.method == "POST":
        return _handle_post(request, article=article)
    current = article.current_revision
    form = ArticleForm(
        initial={
            "title": current.title,
            "body": current.body,
            "plain_language_summary": current.plain_language_summary,
            "base_revision": current.number,
        }
    )
    initial = [{k: v for k, v in r.as_dict().items() if k != "number"} for r in current.references.all()]
    if article.state not in EDITABLE_STATES:
        messages.info(
            request,
            f"This article is {article.get_state_display().lower()}; it can be edited in draft or after "
            "changes were requested.",
        )
    return _editor_page(request, article=article, form=form, formset=_blank_rows(initial))


@allowed_if(permissions.can_write_articles)
@require_POST
def article_preview(request):
    """The htmx fragment: the rendered body and the citation check, for the form as it stands."""
    body = lf(request.POST.get("body", ""))
    if len(body) > body_limit():
        preview = {"html": "", "complete": False, "sentence": f"The body is longer than {body_limit():,} characters."}
    else:
        preview = _preview(body, _preview_rows(request.POST))
    return render(request, "editorial/author/_preview.html", {"preview": preview})


urlpatterns = [
    path("desk/author/", author_desk, name="author-desk"),
    path("desk/articles/new/", article_new, name="article-new"),
    path("desk/articles/preview/", article_preview, name="article-preview"),
    path("desk/articles/<int:article_id>/edit/", article_edit, name="article-edit"),
]
