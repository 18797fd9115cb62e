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

import hashlib
import ipaddress
import time

from axes.exceptions import AxesBackendPermissionDenied
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import auth
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from knox.auth import TokenAuthentication

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


def sign_in(request, username: str, password: str):
    """The user for these credentials, or None; TooManyAttempts when the username is locked out.

    `request` is Django's request (the lockout is counted per username across every door).
    """
    try:
        return auth.authenticate(request, username=username, password=password)
    except AxesBackendPermissionDenied as locked:
        raise TooManyAttempts(LOCKED_SENTENCE, retry_after=_lockout_seconds()) from locked


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's token authentication in one query: an expired token is refused and deleted, but the user's other
    tokens are not scanned on every request (a daily task deletes the expired ones)."""

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
