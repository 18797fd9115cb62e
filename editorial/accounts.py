"""Signing in and staying signed in: the client's address, limits on guessing, lockout answers, expiring API
tokens, session timeouts.

- A username locked out after 10 consecutive failed sign-ins (django-axes, counted in the database for the
  web form, the admin and the API token endpoint together) is refused with 429 for 15 minutes.
- On top, each client address may try only so many sign-ins in 15 minutes, whatever the usernames,
  counted in the shared cache (Redis with CACHE_URL) so that every web process agrees.
- The client address is REMOTE_ADDR, or with NUM_PROXIES trusted proxies the address they saw
  (X-Forwarded-For, counted from the right): never a value the client chose alone.
"""

from __future__ import annotations

import binascii
import hashlib
import ipaddress
import time
from hmac import compare_digest

from axes.exceptions import AxesBackendPermissionDenied
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db.models import Aggregate, JSONField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS
from rest_framework.exceptions import AuthenticationFailed

from .api.errors import error_body
from .exceptions import TooManyAttempts
from .services import users

SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/api/v1/auth/token/")
LOCKED_SENTENCE = "Too many failed sign-ins for this username; try again in 15 minutes, or ask an editor to unlock it."
ADDRESS_SENTENCE = "Too many sign-in attempts from your address; try again later."


UNKNOWN_ADDRESS = "unknown"


def client_address(request) -> str:
    """The client's address as the trusted proxies saw it (NUM_PROXIES), else REMOTE_ADDR; "unknown" when that
    is missing or not an IP address (a UNIX socket, a malformed X-Forwarded-For)."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # The rightmost entries were added by our own proxies; the one before them is the client's.
        address = hops[-min(proxies, len(hops))] if hops else address
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return UNKNOWN_ADDRESS


def axes_client_address(request) -> str | None:
    """client_address for django-axes (AXES_CLIENT_IP_CALLABLE), which stores it in an IP address column:
    None when unknown (PostgreSQL refuses anything else that is not an address: a 500 on a failed sign-in)."""
    address = client_address(request)
    return None if address == UNKNOWN_ADDRESS else address


def _lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def too_many(request, sentence: str, retry_after: int) -> HttpResponse:
    """The 429 answer: API.md's JSON body for the API, a page for a person."""
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(sentence, "too_many_attempts"), status=429)
    else:
        response = render(request, "registration/locked.html", {"sentence": sentence}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer for a locked-out username (AXES_LOCKOUT_CALLABLE)."""
    return too_many(request, LOCKED_SENTENCE, _lockout_seconds())


def address_attempts_exceeded(request) -> bool:
    """Count one sign-in attempt for the client's address; True when it is over the limit."""
    address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"editorial:sign-in:{address}"
    cache.add(key, 0, settings.EDITORIAL_SIGN_IN_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, settings.EDITORIAL_SIGN_IN_WINDOW_SECONDS)
        count = 1
    return count > settings.EDITORIAL_SIGN_IN_ATTEMPTS_PER_ADDRESS


class SignInLimitMiddleware:
    """Per-address limits on the three sign-in doors, before any password is checked."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in SIGN_IN_PATHS and address_attempts_exceeded(request):
            return too_many(request, ADDRESS_SENTENCE, settings.EDITORIAL_SIGN_IN_WINDOW_SECONDS)
        return self.get_response(request)


class _NoSession:
    """The session django-axes sees on an API token sign-in: none. Its access log would make one (a row, and a
    cookie that every later request of that client would read)."""

    session_key = "api-token"


def sign_in(request, username: str, password: str, *, for_session: bool = True):
    """The user for these credentials, or None; TooManyAttempts when the username is locked out.

    `request` is Django's request (the lockout is counted per username across every door). `for_session`:
    False for the API's token door, which makes no session.
    """
    real_session = getattr(request, "session", None)
    if not for_session and real_session is not None:
        request.session = _NoSession()
    try:
        try:
            user = auth.authenticate(request, username=username, password=password)
        except AxesBackendPermissionDenied as locked:
            raise TooManyAttempts(LOCKED_SENTENCE, retry_after=_lockout_seconds()) from locked
        if user is not None:
            # A sign-in without a session still is one: the failures count starts again (django-axes listens).
            user_logged_in.send(sender=type(user), request=request, user=user)
    finally:
        if real_session is not None:
            request.session = real_session
    return user


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's token authentication in one query, the user's board profile included (the audit trail names a
    member by it): an expired token is refused and deleted, but the user's other tokens are not scanned on
    every request (a daily task deletes the expired ones)."""

    def authenticate_credentials(self, token: bytes):
        message = "Invalid token."
        token = token.decode("utf-8")
        candidates = (
            get_token_model()
            .objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user__board_profile", "user__signing_attempts")
            .annotate(permission_names=permission_names("user_id"))
        )
        for auth_token in candidates:
            with_permissions(auth_token.user, auth_token.permission_names)
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as error:
                raise AuthenticationFailed(message) from error
            if compare_digest(digest, auth_token.digest):
                return self.validate_user(auth_token)
        raise AuthenticationFailed(message)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class SessionTimeoutMiddleware:
    """A signed-in session ends after EDITORIAL_SESSION_IDLE_SECONDS without a request (SESSION_COOKIE_AGE
    bounds it overall). The last-seen time is written at most once a minute."""

    KEY = "editorial.last_seen"

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(self.KEY)
            if last_seen is not None and now - last_seen > settings.EDITORIAL_SESSION_IDLE_SECONDS:
                auth.logout(request)
            elif last_seen is None or now - last_seen >= 60:
                request.session[self.KEY] = now
        return self.get_response(request)


@receiver(user_locked_out)
def audit_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """django-axes locked a username out: record it (the one thing this receiver does)."""
    users.record_lockout(username=username or "", address=ip_address or "")


class JSONGroupArray(Aggregate):
    """The values as one JSON array (SQLite's JSON_GROUP_ARRAY, PostgreSQL's JSONB_AGG)."""

    function = "JSON_GROUP_ARRAY"
    allow_distinct = True
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra)


def permission_names(user_field: str) -> Subquery:
    """The user's permissions ("app_label.codename", their own and their groups') as a JSON array, a subquery
    to annotate the query that reads the user: no query of its own."""
    rows = (
        Permission.objects.filter(Q(user=OuterRef(user_field)) | Q(group__user=OuterRef(user_field)))
        .order_by()  # Permission's default ordering would join the grouping
        .annotate(one=Value(1))
        .values("one")
        .annotate(names=JSONGroupArray(Concat("content_type__app_label", Value("."), "codename"), distinct=True))
        .values("names")
    )
    return Subquery(rows, output_field=JSONField())


def with_permissions(user, names) -> None:
    """Give `user` the permissions read with it (RoleBackend then asks the database nothing); its board
    profile, read in the same query, serves the whole request."""
    if not user.is_superuser:
        user._perm_cache = set(names or ())
    user.profile_read_for_request = True


class RoleBackend(ModelBackend):
    """Django's model backend with a user's permissions read with the user (a subquery of the query that loads
    it, for a session or an API token), else in one query (its own and its groups' together, where Django asks
    twice); the board profile and signing attempts are loaded with the user too."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                permissions = Permission.objects.all()
            else:
                permissions = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = permissions.values_list("content_type__app_label", "codename").distinct()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache

    def get_user(self, user_id):
        user_model = get_user_model()
        users = user_model._default_manager.select_related("board_profile", "signing_attempts")
        try:
            user = users.annotate(permission_names=permission_names("pk")).get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        with_permissions(user, user.permission_names)
        return user if self.user_can_authenticate(user) else None
