"""The board member's review queue: assignments, due dates, and accepting or declining them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from articles.selectors import visible_articles
from editorial.services import assignments as assignment_services
from reviewers.models import Assignment, AssignmentStatus, Decision

from .common import attempt, role_required

ANSWERS = {"accept": True, "decline": False}


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=20_000, required=False)


def _queue_order(assignment: Assignment, today) -> tuple:
    """Overdue first, then by due date (none last), then the oldest assignment."""
    overdue = assignment.due is not None and assignment.due < today
    return (not overdue, assignment.due is None, assignment.due or today, assignment.assigned_at, assignment.pk)


@role_required("board")
@require_GET
def review_queue(request):
    user = request.user
    assignments = list(
        Assignment.objects.filter(reviewer=user, article__in=visible_articles(user).values("pk"))
        .exclude(status=AssignmentStatus.DECLINED)
        .select_related("article__current_revision")
    )
    today = timezone.now().date()
    assignments.sort(key=lambda a: _queue_order(a, today))
    decided = set(
        Decision.objects.filter(reviewer=user, article_id__in=[a.article_id for a in assignments]).values_list(
            "article_id", "revision_id", "round"
        )
    )
    rows = []
    for assignment in assignments:
        article = assignment.article
        rows.append(
            {
                "assignment": assignment,
                "article": article,
                "overdue": assignment.due is not None and assignment.due < today,
                "decided": (article.pk, article.current_revision_id, article.review_round) in decided,
                "open": article.state in assignment_services.ASSIGNABLE_STATES,
            }
        )
    context = {
        "open_rows": [r for r in rows if r["open"]],
        "closed_rows": [r for r in rows if not r["open"]],
        "today": today,
    }
    return render(request, "editorial/review/queue.html", context)


@role_required("board")
@require_POST
def respond(request, assignment_id: int, answer: str):
    if answer not in ANSWERS:
        raise Http404("Answer accept or decline.")
    assignment = get_object_or_404(
        Assignment.objects.filter(article__in=visible_articles(request.user).values("pk")), pk=assignment_id
    )
    form = DeclineForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, f"Reason: {error}")
        return redirect("review-queue")
    attempt(
        request,
        assignment_services.respond_to_assignment,
        assignment,
        actor=request.user,
        accept=ANSWERS[answer],
        reason=form.cleaned_data["reason"],
        success="You accepted the review." if ANSWERS[answer] else "You declined the review.",
    )
    return redirect("review-queue")


urlpatterns = [
    path("desk/review/", review_queue, name="review-queue"),
    path("desk/review/assignments/<int:assignment_id>/<str:answer>/", respond, name="assignment-respond"),
]
