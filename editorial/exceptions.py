"""Errors the services raise; the API turns each into API.md's `{"detail", "code"}` body."""

from __future__ import annotations

from django.db import OperationalError


class EditorialError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, detail: str, code: str | None = None, **extra) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra


class InvalidInput(EditorialError):
    """400: the input is malformed; `errors` maps fields to messages."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, detail: str, code: str | None = None, errors: dict | None = None, **extra) -> None:
        if errors:
            extra["errors"] = errors
        super().__init__(detail, code, **extra)


class Forbidden(EditorialError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(EditorialError):
    status_code = 404
    default_code = "not_found"


class StateConflict(EditorialError):
    """409: not allowed in the object's current state, or a concurrent change won."""

    status_code = 409
    default_code = "invalid_transition"


class TooLarge(EditorialError):
    status_code = 413
    default_code = "too_large"


class TooManyAttempts(EditorialError):
    """429: too many attempts; refused until `retry_after` seconds have passed (the Retry-After header)."""

    status_code = 429
    default_code = "too_many_attempts"

    def __init__(self, detail: str, code: str | None = None, *, retry_after: int, **extra) -> None:
        super().__init__(detail, code, **extra)
        self.retry_after = max(1, int(retry_after))


def is_busy(error: BaseException) -> bool:
    """The database could not take the change in time: SQLite's write lock, or PostgreSQL's lock_timeout. The
    caller answers 503 with Retry-After (API and pages alike); nothing was changed."""
    text = str(error)
    return isinstance(error, OperationalError) and ("database is locked" in text or "lock timeout" in text)
