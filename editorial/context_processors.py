"""Values every page's header needs: the desk links the user may use and the unread count."""

from django.urls import reverse

from . import permissions
from .models import Notification

DESK_LINKS = (
    (permissions.can_write_articles, "My articles", "author-desk"),
    (permissions.can_review, "My review queue", "review-queue"),
    (permissions.can_publish, "Editor desk", "editor-desk"),
    (permissions.can_triage_reader_reports, "Reader reports", "reader-reports"),
    (permissions.can_unlock_accounts, "Accounts", "editor-accounts"),
    (permissions.can_manage_retractions, "Retractions", "editor-retractions"),
    (permissions.can_read_audit, "Audit log", "audit-log"),
    (permissions.can_read_audit, "What was live", "audit-live"),
    (permissions.can_write_articles, "New article", "article-new"),
)


def desk(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    links = [{"label": label, "url": reverse(name)} for allowed, label, name in DESK_LINKS if allowed(user)]
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"desk_links": links, "unread_notifications": unread}
