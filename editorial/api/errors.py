"""One place that turns every error into API.md's body: `{"detail", "code"}` (400 may add `errors`)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response

from editorial.exceptions import EditorialError, TooManyAttempts, is_busy

security_log = logging.getLogger("editorial.security")

_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def error_body(detail: str, code: str, **extra) -> dict:
    return {"detail": detail, "code": code, **extra}


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def exception_handler(exc, context) -> Response | None:
    request = context.get("request")
    if isinstance(exc, EditorialError):
        if exc.status_code == 403:
            security_log.warning(
                "denied user=%r path=%r code=%s",
                getattr(getattr(request, "user", None), "username", None),
                getattr(request, "path", None),
                exc.code,
            )
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        return Response(error_body(exc.detail, exc.code, **exc.extra), status=exc.status_code, headers=headers)
    if isinstance(exc, ConcurrentTransition):
        return Response(
            error_body("Another change to this article won; reload and try again.", "concurrent_change"),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, TransitionNotAllowed):
        return Response(error_body(str(exc), "invalid_transition"), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("The request is larger than 1 MiB.", "too_large"), status=413)
    if is_busy(exc):
        response = Response(error_body("The database is busy; retry shortly.", "busy"), status=503)
        response["Retry-After"] = "1"
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body(_first_message(errors), "invalid", errors=errors)
        return Response(body, status=400, headers=headers)
    code = _DRF_CODES.get(type(exc)) or (exc.get_codes() if isinstance(exc.get_codes(), str) else "error")
    return Response(error_body(str(exc.detail), code), status=exc.status_code, headers=headers)


def json_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


def json_server_error(request) -> JsonResponse:
    return JsonResponse(error_body("Something went wrong on our side.", "server_error"), status=500)


def json_bad_request(request, exception=None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body("The request is larger than 1 MiB.", "too_large"), status=413)
    return JsonResponse(error_body("Bad request.", "bad_request"), status=400)


def json_permission_denied(request, exception=None) -> JsonResponse:
    return JsonResponse(error_body("You may not do that.", "permission_denied"), status=403)
