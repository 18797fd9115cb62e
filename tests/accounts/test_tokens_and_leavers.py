"""API tokens with a life (expiring, revocable, hashed at rest); a new password or a deactivation ends every
session and token; a deactivated user cannot sign in; their open reviews are shown to editors (API.md "Users")."""

from __future__ import annotations

import datetime
import io

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from editorial.models import AuditEvent
from tests.factories import PASSWORD, reviewed_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"
STRONG = "a long enough password 1"
NEW = "another long password 2"


def token_for(api, username: str, password: str = PASSWORD) -> str:
    response = api.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(api, token: str):
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_tokens_are_hashed_at_rest_and_expire(api, author):
    token = token_for(api, "author")
    stored = AuthToken.objects.get(user=author)
    assert token not in (stored.digest, stored.token_key) and stored.digest != token
    assert with_token(api, token).get(ARTICLES).status_code == 200
    AuthToken.objects.filter(pk=stored.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert with_token(api, token).get(ARTICLES).status_code == 401
    assert not AuthToken.objects.filter(pk=stored.pk).exists()  # an expired token is deleted when presented


def test_a_token_is_revoked_alone_or_with_all_the_others(api, author):
    first, second, third = (token_for(api, "author") for _ in range(3))
    assert with_token(api, first).post("/api/v1/auth/token/revoke/").status_code == 204
    assert with_token(api, first).get(ARTICLES).status_code == 401
    assert with_token(api, second).get(ARTICLES).status_code == 200
    assert with_token(api, second).post("/api/v1/auth/token/revoke/all/").status_code == 204
    assert with_token(api, third).get(ARTICLES).status_code == 401


def test_a_new_password_through_add_user_ends_every_session_and_token(api, author):
    token = token_for(api, "author")
    browser = Client()
    browser.post("/accounts/login/", {"username": "author", "password": PASSWORD})
    assert browser.get("/desk/author/").status_code == 200
    call_command("add_user", "author", role="author", password=STRONG, stdout=io.StringIO())
    assert with_token(api, token).get(ARTICLES).status_code == 401
    assert browser.get("/desk/author/").status_code == 302  # to the sign-in page
    event = AuditEvent.objects.filter(action="user.update").last()
    assert event.after["ended"] == {"sessions": 1, "tokens": 1}


def test_changing_ones_password_keeps_this_session_and_ends_the_others(api, author):
    author.set_password(STRONG)
    author.save()
    token = token_for(api, "author", STRONG)
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        browser.post("/accounts/login/", {"username": "author", "password": STRONG})
    response = here.post(
        "/accounts/password/",
        {
            "old_password": STRONG,
            "new_password1": "another long password 2",
            "new_password2": "another long password 2",
        },
    )
    assert response.status_code == 302
    assert here.get("/desk/author/").status_code == 200
    assert elsewhere.get("/desk/author/").status_code == 302
    assert with_token(api, token).get(ARTICLES).status_code == 401
    assert AuditEvent.objects.filter(action="user.password_change", actor=author).count() == 1


@pytest.mark.parametrize("weak", ["short1", "password1234", "12345678901234", "Alexandria12"])
def test_a_weak_new_password_is_a_form_error_and_changes_nothing(author, weak):
    """Each of Django's four validators: too short, too common, all digits, too like the user's name."""
    author.set_password(STRONG)
    author.first_name = "Alexandria"
    author.save()
    browser = Client()
    browser.post("/accounts/login/", {"username": "author", "password": STRONG})
    response = browser.post(
        "/accounts/password/", {"old_password": STRONG, "new_password1": weak, "new_password2": weak}
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    author.refresh_from_db()
    assert author.check_password(STRONG)
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_deactivate_user_ends_everything_and_editors_see_the_open_review(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    token = token_for(api, "board1")
    browser = Client()
    browser.post("/accounts/login/", {"username": "board1", "password": PASSWORD})
    out = io.StringIO()
    call_command("deactivate_user", "board1", reason="Left the board", stdout=out)
    assert out.getvalue().strip() == "board1: deactivated"
    assert with_token(api, token).get(ARTICLES).status_code == 401
    assert browser.get("/desk/review/").status_code == 302
    refused = api.post("/api/v1/auth/token/", {"username": "board1", "password": PASSWORD}, format="json")
    assert refused.status_code == 400
    event = AuditEvent.objects.get(action="user.deactivate")
    assert (event.reason, event.after["open_assignments"]) == ("Left the board", [article.pk])
    desk = Client()
    desk.force_login(editor)
    left = desk.get("/desk/editor/").content.decode().split('id="people-who-left"')[1].split("</section>")[0]
    assert article.title in left and "board1" in left


def test_deactivate_user_needs_a_reason_and_a_known_active_user(author):
    with pytest.raises(CommandError):
        call_command("deactivate_user", "author", reason="  ", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("deactivate_user", "nobody", reason="x", stdout=io.StringIO())
    call_command("deactivate_user", "author", reason="Left", stdout=io.StringIO())
    with pytest.raises(CommandError, match="already deactivated"):
        call_command("deactivate_user", "author", reason="Again", stdout=io.StringIO())
    assert AuditEvent.objects.filter(action="user.deactivate").count() == 1


def test_an_idle_session_ends(author, settings):
    settings.EDITORIAL_SESSION_IDLE_SECONDS = 60
    browser = Client()
    browser.post("/accounts/login/", {"username": "author", "password": PASSWORD})
    assert browser.get("/desk/author/").status_code == 200
    session = browser.session
    session["editorial.last_seen"] -= 61  # a minute and a second without a request
    session.save()
    assert browser.get("/desk/author/").status_code == 302


def test_the_daily_task_deletes_expired_tokens(author):
    from editorial.tasks import delete_expired_tokens

    AuthToken.objects.create(author, expiry=datetime.timedelta(seconds=-1))
    AuthToken.objects.create(author)
    assert delete_expired_tokens() == 1 and AuthToken.objects.filter(user=author).count() == 1


def test_a_token_sign_in_makes_no_session(author):
    """The API's token door: no session row and no cookie (django-axes' access log made one, and every later
    request of that client then read it), while the sign-in is still logged."""
    client = Client()
    response = client.post(
        "/api/v1/auth/token/", {"username": "author", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    assert "sessionid" not in response.cookies and not client.cookies
    assert not Session.objects.exists()
    assert AccessLog.objects.filter(username="author").count() == 1
    token = response.json()["token"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert queries.captured_queries and not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_the_sign_in_page_still_makes_a_session(author):
    client = Client()
    response = client.post("/accounts/login/", {"username": "author", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key
