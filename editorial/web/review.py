"""The board member's review queue: assignments, due dates, and accepting or declining them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from articles.models import OPEN_STATES
from articles.selectors import visible_articles
from editorial import permissions
from editorial.services import assignments as assignment_services
from reviewers.models import Assignment

from .common import LimitedForm, allowed_if, attempt

ANSWERS = {"accept": True, "decline": False}


class DeclineForm(LimitedForm):
    reason = forms.CharField(required=False)


def _queue_order(assignment: Assignment, today) -> tuple:
    """Overdue first, then by due date (none last), then the oldest assignment."""
    return (
        not assignment.is_overdue,
        assignment.due is None,
        assignment.due or today,
        assignment.assigned_at,
        assignment.pk,
    )


@allowed_if(permissions.can_review)
@require_GET
def review_queue(request):
    user = request.user
    assignments = list(
        Assignment.objects.active()
        .with_decided()
        .filter(reviewer=user, article__in=visible_articles(user).values("pk"))
        .select_related("article__current_revision")
    )
    today = timezone.now().date()
    assignments.sort(key=lambda a: _queue_order(a, today))
    rows = [
        {
            "assignment": assignment,
            "article": assignment.article,
            "overdue": assignment.is_overdue,
            "decided": assignment.decided,
            "open": assignment.article.state in OPEN_STATES,
        }
        for assignment in assignments
    ]
    context = {
        "open_rows": [r for r in rows if r["open"]],
        "closed_rows": [r for r in rows if not r["open"]],
        "today": today,
    }
    return render(request, "editorial/review/queue.html", context)


@allowed_if(permissions.can_review)
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
