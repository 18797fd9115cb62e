"""Root URLs: the API under /api/v1/, the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views import defaults
from django.views.generic import RedirectView

from editorial.api import errors
from editorial.web import desk

urlpatterns = [
    path("api/v1/", include("editorial.api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", desk.PasswordChange.as_view(), name="password-change"),
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
    path("", include("editorial.urls")),
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
