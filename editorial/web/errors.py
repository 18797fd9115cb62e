"""Pages for the two failures a person can simply retry, instead of a 500: a change that lost a race with
another (409) and a database too busy to take a write in time (503; the embedded SQLite default under load).
The API answers the same failures in its own format (editorial.api.errors)."""

from __future__ import annotations

import logging

from django.shortcuts import render
from django_fsm import ConcurrentTransition

from editorial.exceptions import EditorialError, is_busy

log = logging.getLogger("editorial.web")

RETRY_AFTER_BUSY = 1


class RetryablePageErrors:
    """Renders a lost race as 409 and a busy database as 503 for pages; leaves the API and the rest alone."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, ConcurrentTransition):
            sentence = "Someone else changed this article at the same moment. Reload the page and try again."
            return self._page(request, 409, "Changed meanwhile", sentence)
        if isinstance(exception, EditorialError) and exception.status_code == 409:
            return self._page(request, 409, "Changed meanwhile", exception.detail)
        if is_busy(exception):
            log.warning("busy database on %s: %s", request.path, exception)
            sentence = "The system is busy and could not save this just now. Nothing was changed; try again."
            response = self._page(request, 503, "Busy", sentence)
            response["Retry-After"] = str(RETRY_AFTER_BUSY)
            return response
        return None

    @staticmethod
    def _page(request, status: int, title: str, sentence: str):
        return render(request, "errors/retry.html", {"title": title, "sentence": sentence}, status=status)
