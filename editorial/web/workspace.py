"""The article workspace: the revision text with its annotations, the threads, transitions and signed decisions.

Every change goes through one service in editorial.services; this module only reads, shows and forwards.
"""

from __future__ import annotations

import datetime
from itertools import pairwise

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from articles.diff import diff_revisions
from articles.models import (
    ANNOTATABLE_STATES,
    DECISION_TRANSITIONS,
    EDITABLE_STATES,
    IN_REVIEW_STATES,
    TRANSITION_NAMES,
    Revision,
)
from editorial import permissions
from editorial.exceptions import EditorialError
from editorial.services import annotations as annotation_services
from editorial.services import assignments as assignment_services
from editorial.services import claims as claim_services
from editorial.services import workflow
from reviewers.claims import changed_sentences, claim_element_id, overlaps
from reviewers.models import CLAIM_KEY_LENGTH, MAX_REFERENCE_NUMBER, AnnotationKind, AnnotationStatus, Decision, Verdict
from reviewers.selectors import (
    anchors_on_revision,
    board_profile,
    claim_progress,
    quorum_status,
)

from .common import LimitedForm, attempt, form_errors_as_messages, page_number, visible_article_or_404

FIELD_LABELS = {"exact": "Quote", "body": "Text", "start": "Start", "end": "End", "comment": "Comment"}

TRANSITION_LABELS = {
    "submit": "Submit for review",
    "start_review": "Start the review",
    "withdraw": "Withdraw",
    "revise": "Revise (back to draft)",
    "approve": "Approve",
    "request_changes": "Request changes",
    "reject": "Reject",
}
TRANSITION_DONE = {
    "submit": "Submitted for review.",
    "start_review": "The review has started.",
    "withdraw": "The article was withdrawn.",
    "revise": "The article is back in draft; you can edit it now.",
    "approve": "Your approval was signed.",
    "request_changes": "Your request for changes was signed.",
    "reject": "Your rejection was signed.",
}
DECISION_ORDER = ("approve", "request_changes", "reject")
ACTION_DONE = {
    "reply": "Your reply was added.",
    "resolve": "The annotation was resolved.",
    "reopen": "The annotation was reopened.",
    "accept": "The suggestion was accepted: a new revision was made.",
}


# Forms: input shapes only (lengths, types, choices), as the API's serializers check them.
# Every rule about who may do what, and when, is the services'.


class AnnotationForm(LimitedForm):
    # A check is raised by the system only.
    kind = forms.ChoiceField(
        choices=[c for c in AnnotationKind.choices if c[0] != AnnotationKind.CHECK], initial=AnnotationKind.COMMENT
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    suggestion = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 2}))
    blocking = forms.BooleanField(required=False)
    exact = forms.CharField(strip=False)
    prefix = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    suffix = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    start = forms.IntegerField(min_value=0, required=False)
    end = forms.IntegerField(min_value=0, required=False)
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        # Browsers send line breaks in form values as CRLF; the revision text has LF only.
        for name in ("exact", "prefix", "suffix", "body", "suggestion"):
            if isinstance(data.get(name), str):
                data[name] = data[name].replace("\r\n", "\n")
        return data

    def selectors(self) -> dict:
        data = self.cleaned_data
        return {
            "exact": data["exact"],
            "prefix": data["prefix"],
            "suffix": data["suffix"],
            "start": data["start"],
            "end": data["end"],
        }


class TransitionForm(LimitedForm):
    comment = forms.CharField(required=False)
    revision = forms.IntegerField(min_value=1, required=False)  # the revision a board member read and signs
    password = forms.CharField(max_length=4096, required=False, strip=False)


class ClaimForm(LimitedForm):
    revision = forms.IntegerField(min_value=1)
    claim = forms.CharField(max_length=CLAIM_KEY_LENGTH)
    reference = forms.IntegerField(min_value=1, max_value=MAX_REFERENCE_NUMBER)


class ConflictForm(LimitedForm):
    has_conflict = forms.BooleanField(required=False)
    statement = forms.CharField(required=False)


class ThreadForm(LimitedForm):
    """Reply (body); resolve (optional response: `response`, or the thread form's `body`); reopen (optional
    reason); accept takes nothing."""

    body = forms.CharField(required=False)
    response = forms.CharField(required=False)
    reason = forms.CharField(required=False)
    revision = forms.IntegerField(min_value=1, required=False)


def _form_errors(request, form: forms.Form) -> None:
    form_errors_as_messages(request, form, FIELD_LABELS)  # with the workspace's field names


# Highlighting: built from escaped pieces of the plain text, so nothing anyone typed becomes markup.


def highlight(text: str, anchors) -> SafeString:
    """`text` with a <mark> around every anchored range.

    Overlapping ranges are cut into segments at every boundary; each segment is one <mark> listing all
    the annotations that cover it (data-annotation-ids), the innermost one as data-annotation-id. The
    text content of the result is exactly `text`, so offsets counted in the page match the server's.
    """
    spans = [
        (anchor.start, anchor.end, anchor.annotation)
        for anchor in anchors
        if not anchor.orphaned and 0 <= anchor.start < anchor.end <= len(text)
    ]
    if not spans:
        return mark_safe(escape(text))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces: list[str] = []
    for left, right in pairwise(cuts):
        chunk = escape(text[left:right])
        covering = [span for span in spans if span[0] <= left and span[1] >= right]
        if not covering:
            pieces.append(chunk)
            continue
        innermost = min(covering, key=lambda span: (span[1] - span[0], span[2].pk))[2]
        annotations = [span[2] for span in covering]
        classes = ["annotation"]
        if any(a.blocking and a.status == AnnotationStatus.OPEN for a in annotations):
            classes.append("blocking")
        if all(a.status == AnnotationStatus.RESOLVED for a in annotations):
            classes.append("resolved")
        ids = " ".join(str(a.pk) for a in sorted(annotations, key=lambda a: a.pk))
        title = ", ".join(f"#{a.pk} {a.get_kind_display().lower()}" for a in annotations)
        pieces.append(
            format_html(
                '<mark class="{}" data-annotation-id="{}" data-annotation-ids="{}" title="{}">{}</mark>',
                " ".join(classes),
                innermost.pk,
                ids,
                title,
                chunk,
            )
        )
    return mark_safe("".join(pieces))  # every piece escaped above


def _revision_param(request, article) -> Revision:
    number = request.GET.get("revision") or ""
    if not number:
        return article.current_revision
    if not number.isdigit():
        raise Http404("Unknown revision.")
    if int(number) == article.current_revision.number:
        return article.current_revision
    return get_object_or_404(Revision, article=article, number=int(number))


def _references(revision) -> list:
    """The revision's references; a URL becomes a link only with an http(s) scheme, whoever stored it."""
    references = list(revision.references.all())
    for reference in references:
        reference.link = reference.url if reference.url.lower().startswith(("http://", "https://")) else ""
    return references


def _workspace_url(article_id: int, revision: int | None = None, fragment: str = "") -> str:
    url = reverse("workspace", args=[article_id])
    if revision:
        url += f"?revision={revision}"
    return url + (f"#{fragment}" if fragment else "")


def _decision_options(article, user, available_names: set[str], facts: workflow.DecisionFacts) -> dict:
    """What a board member's signature will record, and why a decision is not open to them now."""
    profile = board_profile(user)
    options = [
        {"name": name, "label": TRANSITION_LABELS[name], "meaning": Verdict(workflow.VERDICT_FOR[name]).label}
        for name in DECISION_ORDER
        if name in available_names
    ]
    reasons: list[str] = []
    if profile is not None and permissions.can_review(user):
        for name in DECISION_ORDER:
            if name in available_names:
                continue
            try:
                workflow.check_transition(article, name, user, facts)
            except EditorialError as error:
                # The state is shown already; say why else a decision is not open to this member.
                if error.code != "invalid_transition" and error.detail not in reasons:
                    reasons.append(error.detail)
    return {
        "options": options,
        "unavailable": reasons,
        "signer": profile.display_name if profile else user.get_full_name() or user.username,
        # The server's clock in UTC, formatted as the signature line is (Decision.signature_line).
        "now": timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }


def _since_signed(user, current, decisions: list[Decision], *, showing_current: bool) -> dict | None:
    """For a member who signed an earlier revision: the diff from the revision of their last decision to the
    current one (unchanged stretches folded by the diff), and the sentences they have not read since."""
    if not showing_current or not permissions.can_review(user):
        return None
    mine = [d for d in decisions if d.reviewer_id == user.pk]
    if not mine or mine[-1].revision_id == current.pk:
        return None
    last = mine[-1]
    return {
        "decision": last,
        "revision": last.revision,
        "diff": diff_revisions(last.revision, current),
        "changed": changed_sentences(last.revision, current),
    }


def _claims(
    article, revision, user, *, numbers: list[int], is_current: bool, changed: list[tuple[int, int]]
) -> dict | None:
    """The member's claim list for this revision: each claim with their verification or the choices to verify
    it against; None for users who do not verify claims (one query, whatever the number of claims)."""
    if not permissions.can_review(user):
        return None
    progress = claim_progress(revision, user)
    may_verify = is_current and article.state in IN_REVIEW_STATES and permissions.can_verify_claims(article, user)
    items = [
        {
            "index": i,
            "claim": claim,
            "verification": progress.verified.get(claim.key),
            "choices": claim.reference_choices(numbers),
            "changed": overlaps(claim.start, claim.end, changed),
        }
        for i, claim in enumerate(progress.claims, start=1)
    ]
    # What changed since the member signed comes first; the rest keeps its order in the text.
    items.sort(key=lambda item: not item["changed"])
    return {
        "items": items,
        "done": progress.done,
        "total": progress.total,
        "doses": len(progress.doses),
        "unverified_doses": len(progress.unverified_doses),
        "may_verify": may_verify,
    }


def workspace_page(request, article, *, revision=None, annotation_form=None, decision_comment=""):
    user = request.user
    revision = revision or _revision_param(request, article)
    current = article.current_revision
    is_current = revision.pk == current.pk
    revisions = list(article.revisions.defer("body", "text").order_by("number"))
    anchors = list(anchors_on_revision(revision))
    placed = [a for a in anchors if not a.orphaned]
    orphans = [a for a in anchors if a.orphaned]

    may_reply = permissions.can_reply(article, user)
    may_accept = permissions.can_accept_suggestion(article, user)
    threads = []
    for anchor in anchors:
        annotation = anchor.annotation
        may_resolve = permissions.can_resolve_annotation(annotation, article, user)
        threads.append(
            {
                "anchor": anchor,
                "annotation": annotation,
                "status": anchor.display_status,
                "may_resolve": may_resolve and annotation.status == AnnotationStatus.OPEN,
                "may_reopen": may_resolve and annotation.status == AnnotationStatus.RESOLVED,
                "may_accept": may_accept
                and is_current
                and annotation_services.suggestion_refusal(annotation, anchor, article) is None,
            }
        )
    by_id = {t["annotation"].pk: t for t in threads}

    may_annotate = is_current and article.state in ANNOTATABLE_STATES and permissions.can_annotate(article, user)
    if annotation_form is None:
        annotation_form = AnnotationForm(initial={"revision": current.number, "kind": AnnotationKind.COMMENT})

    # The article's decisions, read once: the list shown, the quorum, and whether this member decided already.
    decisions = list(
        Decision.objects.filter(article=article)
        .select_related("revision", "reviewer__board_profile")
        .order_by("signed_at", "id")
    )
    for decision in decisions:
        decision.reviewer.profile_read_for_request = True
    facts = workflow.DecisionFacts(article, user, decisions)
    available = workflow.available_transitions(article, user, facts)
    available_names = {t["name"] for t in available}
    previous = next((r for r in revisions if r.number == revision.number - 1), None)
    references = _references(revision)
    since = _since_signed(user, current, decisions, showing_current=is_current and not request.GET.get("revision"))
    changed = since["changed"] if since else []
    placed_threads = [by_id[a.annotation.pk] for a in placed]
    for thread in placed_threads:
        thread["changed"] = overlaps(thread["anchor"].start, thread["anchor"].end, changed)
    # The notes and checks on sentences changed since the member signed come first.
    placed_threads.sort(key=lambda thread: not thread["changed"])
    context = {
        "article": article,
        "is_reviewer": permissions.can_review(user),
        "revision": revision,
        "current": current,
        "is_current": is_current,
        "revisions": revisions,
        "previous": previous,
        "highlighted": highlight(revision.text, placed),
        "threads": placed_threads,
        "since": since,
        "orphans": [by_id[a.annotation.pk] for a in orphans],
        "references": references,
        "quorum": quorum_status(article, permissions.reviewer_facts_read(article), decisions),
        "blocking_ids": facts.open_blocking_ids,
        "transitions": [
            {**t, "label": TRANSITION_LABELS.get(t["name"], t["name"])}
            for t in available
            if t["name"] not in DECISION_TRANSITIONS
        ],
        "decision": _decision_options(article, user, available_names, facts),
        "decision_comment": decision_comment,
        "decisions": decisions,
        "assignments": list(article.assignments.select_related("reviewer__board_profile").order_by("assigned_at")),
        "declaration": permissions.reviewer_facts_for(article, user).declaration
        if permissions.can_review(user)
        else None,
        "may_annotate": may_annotate,
        "may_reply": may_reply,
        "may_edit": permissions.can_edit_article(article, user),
        "editable": article.state in EDITABLE_STATES,
        "annotation_form": annotation_form,
        "annotatable_state": article.state in ANNOTATABLE_STATES,
        "claims": _claims(
            article, revision, user, numbers=[r.number for r in references], is_current=is_current, changed=changed
        ),
    }
    return render(request, "editorial/workspace/workspace.html", context)


@login_required
@require_GET
def workspace(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    return workspace_page(request, article)


@login_required
@require_POST
def annotation_create(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    form = AnnotationForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return workspace_page(request, article, revision=article.current_revision, annotation_form=form)
    data = form.cleaned_data
    annotation = attempt(
        request,
        annotation_services.add_annotation,
        article,
        actor=request.user,
        revision_number=data["revision"],
        kind=data["kind"],
        body=data["body"],
        selectors=form.selectors(),
        suggestion=data["suggestion"],
        blocking=data["blocking"],
        success="Your annotation was added.",
    )
    if annotation is None:
        article = visible_article_or_404(request, article_id)
        return workspace_page(request, article, revision=article.current_revision, annotation_form=form)
    return redirect(_workspace_url(article.pk, fragment=f"annotation-{annotation.pk}"))


@login_required
@require_POST
def annotation_action(request, article_id: int, annotation_id: int, action: str):
    article = visible_article_or_404(request, article_id)
    if action not in ACTION_DONE:
        raise Http404("Unknown action.")
    annotation = get_object_or_404(article.annotations, pk=annotation_id)
    form = ThreadForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_workspace_url(article.pk, fragment=f"annotation-{annotation.pk}"))
    data = form.cleaned_data
    actor, done = request.user, ACTION_DONE[action]
    if action == "reply":
        attempt(
            request, annotation_services.reply_to_annotation, annotation, actor=actor, body=data["body"], success=done
        )
    elif action == "resolve":
        attempt(
            request,
            annotation_services.resolve_annotation,
            annotation,
            actor=actor,
            response=data["response"] or data["body"],  # the thread form's one text field
            success=done,
        )
    elif action == "reopen":
        attempt(
            request, annotation_services.reopen_annotation, annotation, actor=actor, reason=data["reason"], success=done
        )
    else:
        if attempt(request, annotation_services.accept_suggestion, annotation, actor=actor, success=done) is not None:
            return redirect(_workspace_url(article.pk))
    return redirect(_workspace_url(article.pk, data["revision"], fragment=f"annotation-{annotation.pk}"))


@login_required
@require_POST
def transition(request, article_id: int, name: str):
    article = visible_article_or_404(request, article_id)
    if name not in TRANSITION_NAMES:
        raise Http404("There is no such transition.")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_workspace_url(article.pk))
    data = form.cleaned_data
    result = attempt(
        request,
        workflow.take_transition,
        article,
        name,
        actor=request.user,
        comment=data["comment"],
        password=data["password"] or None,
        revision=data["revision"],
        success=TRANSITION_DONE[name],
    )
    if result is None and name in DECISION_TRANSITIONS:
        # Keep the comment the member wrote (never the password) on the page that shows the refusal.
        article = visible_article_or_404(request, article_id)
        return workspace_page(request, article, decision_comment=data["comment"])
    if result is not None and name == "revise":
        return redirect("article-edit", article_id=article.pk)
    return redirect(_workspace_url(article.pk))


@login_required
@require_POST
def claim_verify(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_workspace_url(article.pk, fragment="claims"))
    data = form.cleaned_data
    verification = attempt(
        request,
        claim_services.verify_claim,
        article,
        actor=request.user,
        revision_number=data["revision"],
        claim_key=data["claim"],
        reference=data["reference"],
        success=f"Claim verified against [{data['reference']}].",
    )
    # Back to the claim just verified, so that the keyboard carries on from it (the fragment moves the focus
    # start to it); after a refusal, to the list with the message.
    fragment = claim_element_id(verification.claim_key) if verification is not None else "claims"
    return redirect(_workspace_url(article.pk, fragment=fragment))


@login_required
@require_POST
def conflict(request, article_id: int):
    article = visible_article_or_404(request, article_id)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        attempt(
            request,
            assignment_services.declare_conflict,
            article,
            actor=request.user,
            has_conflict=form.cleaned_data["has_conflict"],
            statement=form.cleaned_data["statement"],
            success="Your conflict-of-interest declaration is on file.",
        )
    return redirect(_workspace_url(article.pk, fragment="conflict"))


@login_required
@require_GET
def diff(request, article_id: int, a: int, b: int):
    article = visible_article_or_404(request, article_id)
    found = {r.number: r for r in Revision.objects.filter(article=article, number__in=[a, b])}
    if a not in found or b not in found:
        raise Http404("Unknown revision.")
    result = diff_revisions(found[a], found[b], page=page_number(request))
    context = {
        "article": article,
        "a": found[a],
        "b": found[b],
        "diff": result,
        "pager_query": "",
        "changes": result["changes"],
        # The diff escapes every piece of content it shows; the table markup is its own.
        "table": mark_safe(result["html"]),
        "revisions": list(article.revisions.defer("body", "text").order_by("number")),
    }
    return render(request, "editorial/workspace/diff.html", context)


urlpatterns = [
    path("desk/articles/<int:article_id>/", workspace, name="workspace"),
    path("desk/articles/<int:article_id>/annotations/", annotation_create, name="annotation-create"),
    path(
        "desk/articles/<int:article_id>/annotations/<int:annotation_id>/<str:action>/",
        annotation_action,
        name="annotation-action",
    ),
    path("desk/articles/<int:article_id>/transitions/<str:name>/", transition, name="workspace-transition"),
    path("desk/articles/<int:article_id>/conflict/", conflict, name="workspace-conflict"),
    path("desk/articles/<int:article_id>/claims/", claim_verify, name="claim-verify"),
    path("desk/articles/<int:article_id>/diff/<int:a>/<int:b>/", diff, name="workspace-diff"),
]
