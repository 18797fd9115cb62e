"""Page routes: home, sign-in lives in config.urls; desks, workspace, consoles and the inbox here."""

from django.urls import path

from .web import audit, author, desk, editor, review, workspace
from .web.public import views as public

urlpatterns = [
    path("", desk.home, name="home"),
    path("desk/notifications/", desk.inbox, name="inbox"),
    path("desk/notifications/<int:notification_id>/read/", desk.mark_read, name="inbox-read"),
    path("desk/notifications/read-all/", desk.mark_all_read, name="inbox-read-all"),
    *author.urlpatterns,
    *workspace.urlpatterns,
    *review.urlpatterns,
    *editor.urlpatterns,
    *audit.urlpatterns,
    *public.urlpatterns,
]
