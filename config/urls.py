"""Root URLs: the API under /api/v1/, the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views import defaults

from editorial.api import errors
from editorial.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("api/v1/", include("editorial.api.urls")),
    path("admin/", admin.site.urls),
]


def _api_or_html(api_view, html_view):
    def view(request, *args, **kwargs):
        if request.path.startswith("/api/"):
            return api_view(request, *args, **kwargs)
        return html_view(request, *args, **kwargs)

    return view


handler400 = _api_or_html(errors.json_bad_request, defaults.bad_request)
handler403 = _api_or_html(errors.json_permission_denied, defaults.permission_denied)
handler404 = _api_or_html(errors.json_not_found, defaults.page_not_found)
handler500 = _api_or_html(errors.json_server_error, defaults.server_error)
