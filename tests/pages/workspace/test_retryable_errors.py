"""A page that loses a race or finds the database busy says so (409 / 503 with Retry-After) instead of a 500;
the failures themselves are raised as the database and django-fsm raise them."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.urls import reverse
from django_fsm import ConcurrentTransition

from editorial.services import workflow
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(signed_in, author):
    article = make_article(author)
    client = signed_in(author, raise_request_exception=False)

    def post():
        return client.post(reverse("workspace-transition", args=[article.pk, "submit"]), {"comment": ""})

    return post


def test_a_lost_race_is_a_409_page(monkeypatch, submit):
    def lost(*args, **kwargs):
        raise ConcurrentTransition("Cannot save object! The state has been changed.")

    monkeypatch.setattr(workflow, "take_transition", lost)
    response = submit()
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this article at the same moment" in page and 'id="retry-message"' in page


@pytest.mark.parametrize("message", ["database is locked", "canceling statement due to lock timeout"])
def test_a_busy_database_is_a_503_page_with_retry_after(monkeypatch, submit, message):
    def busy(*args, **kwargs):
        raise OperationalError(message)

    monkeypatch.setattr(workflow, "take_transition", busy)
    response = submit()
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert "Nothing was changed; try again." in response.content.decode()


def test_other_database_errors_stay_server_errors(monkeypatch, submit):
    def broken(*args, **kwargs):
        raise OperationalError("no such table: articles_article")

    monkeypatch.setattr(workflow, "take_transition", broken)
    assert submit().status_code == 500


def test_the_api_answers_the_same_failures_in_its_own_format(monkeypatch, api, author):
    article = make_article(author)

    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(workflow, "take_transition", busy)
    response = api.as_user(author).post(f"/api/v1/articles/{article.pk}/transitions/submit/", {}, format="json")
    assert response.status_code == 503 and response.json() == {
        "detail": "The database is busy; retry shortly.",
        "code": "busy",
    }
