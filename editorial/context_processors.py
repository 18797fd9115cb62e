"""Values every page's header needs: the desk links for the user's role and the unread count."""

from django.urls import reverse

from .models import Notification
from .roles import role_of

DESK_LINKS = {
    "author": [("My articles", "author-desk"), ("New article", "article-new")],
    "board": [("My review queue", "review-queue")],
    "editor": [("Editor desk", "editor-desk"), ("Reader reports", "reader-reports"), ("New article", "article-new")],
    "auditor": [("Audit log", "audit-log"), ("What was live", "audit-live")],
}


def desk(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    links = [{"label": label, "url": reverse(name)} for label, name in DESK_LINKS.get(role, [])]
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"desk_links": links, "unread_notifications": unread, "role": role}
