"""Home per role, and the notifications inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordChangeView
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from editorial import permissions
from editorial.models import Notification
from editorial.services import users

# The first desk the user may use is their home (an editor may also read the audit log).
HOMES = (
    (permissions.can_publish, "editor-desk"),
    (permissions.can_read_audit, "audit-log"),
    (permissions.can_review, "review-queue"),
    (permissions.can_write_articles, "author-desk"),
)


def home(request):
    """Signed in: the user's desk. Otherwise the public index of published articles."""
    for allowed, name in HOMES:
        if allowed(request.user):
            return redirect(name)
    return redirect("public-index")


@login_required
def inbox(request):
    notifications = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    page = Paginator(notifications, 50).get_page(request.GET.get("page"))
    return render(request, "editorial/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request, notification_id: int):
    notification = get_object_or_404(Notification, recipient=request.user, pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    target = notification.url.replace("/api/v1/articles/", "/desk/articles/") if notification.url else ""
    return redirect(target or reverse("inbox"))


@login_required
@require_POST
def mark_all_read(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("inbox")


class PasswordChange(PasswordChangeView):
    """The user's own password: Django's validators; every other session and every API token ends."""

    template_name = "registration/password_change.html"

    def form_valid(self, form):
        users.change_password(form.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)  # this session goes on
        messages.success(self.request, "Your password was changed; your other sessions and API tokens ended.")
        return redirect("home")
