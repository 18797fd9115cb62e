"""API.md "Sign-in and signing attempts": 10 consecutive failed sign-ins for one username, through the API token
endpoint, the web form and the admin together, lock it for 15 minutes (the right password included); per-address
limits on top; audited; an editor unlocks."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings

from editorial.models import AuditEvent
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def api_attempt(api, username: str, password: str):
    return api.post(TOKEN, {"username": username, "password": password}, format="json")


def web_attempt(client, username: str, password: str, path: str = LOGIN):
    return client.post(path, {"username": username, "password": password})


def test_ten_failures_across_every_door_lock_the_username(api, author):
    client = Client()
    for n in range(9):
        door = n % 3
        if door == 0:
            assert api_attempt(api, "author", "wrong").status_code == 400
        elif door == 1:
            assert web_attempt(client, "author", "wrong").status_code == 200  # the form again, with its error
        else:
            assert web_attempt(client, "author", "wrong", ADMIN_LOGIN).status_code == 200
    assert api_attempt(api, "author", "wrong").status_code == 429  # the tenth failure locks
    locked = api_attempt(api, "author", PASSWORD)  # the right password, refused while locked
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts" and set(locked.json()) == {"detail", "code"}
    assert int(locked["Retry-After"]) == 15 * 60
    page = web_attempt(client, "author", PASSWORD)
    assert page.status_code == 429 and page["Retry-After"] == "900"
    assert "Too many failed sign-ins" in page.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="account.lock").count() == 1
    assert AuditEvent.objects.get(action="account.lock").after["username"] == "author"


def test_a_success_resets_the_count(api, author):
    for _ in range(9):
        api_attempt(api, "author", "wrong")
    assert api_attempt(api, "author", PASSWORD).status_code == 200
    for _ in range(9):
        api_attempt(api, "author", "wrong")
    assert api_attempt(api, "author", PASSWORD).status_code == 200


def test_the_lock_is_per_username(api, author, editor):
    for _ in range(10):
        api_attempt(api, "author", "wrong")
    assert api_attempt(api, "author", PASSWORD).status_code == 429
    assert api_attempt(api, "editor", PASSWORD).status_code == 200


def test_a_signed_in_client_cannot_guess_another_users_password_without_limit(api, author, editor):
    """The old throttle had no key for an authenticated request; the lockout counts whoever sends the request."""
    api.as_user(editor)
    for _ in range(10):
        api_attempt(api, "author", "wrong")
    assert api_attempt(api, "author", PASSWORD).status_code == 429


def test_an_editor_unlocks_and_it_is_audited(api, author, editor):
    for _ in range(10):
        api_attempt(api, "author", "wrong")
    client = Client()
    client.force_login(editor)
    page = client.get("/desk/editor/accounts/").content.decode()
    assert 'value="author"' in page.split('id="sign-in-locks"')[1].split("</section>")[0]
    response = client.post("/desk/editor/accounts/unlock/", {"what": "sign-in", "username": "author"})
    assert response.status_code == 302
    assert api_attempt(api, "author", PASSWORD).status_code == 200
    event = AuditEvent.objects.get(action="account.unlock")
    assert (event.actor, event.after) == (editor, {"username": "author", "what": "sign-in"})


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_only_editors_unlock(role, author):
    for _ in range(10):
        Client().post(LOGIN, {"username": "author", "password": "wrong"})
    client = Client()
    client.force_login(make_user(role, username=f"{role}-x"))
    assert client.post("/desk/editor/accounts/unlock/", {"what": "sign-in", "username": "author"}).status_code == 403
    assert not AuditEvent.objects.filter(action="account.unlock").exists()


@override_settings(EDITORIAL_SIGN_IN_ATTEMPTS_PER_ADDRESS=5)
def test_per_address_limit_keys_on_the_client_address_through_proxies(api, author):
    with override_settings(REST_FRAMEWORK={**_rest(), "NUM_PROXIES": 1}):
        for n in range(5):
            api.post(
                TOKEN, {"username": f"nobody{n}", "password": "x"}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.7"
            )
        refused = api.post(TOKEN, {"username": "author", "password": PASSWORD}, format="json",
                           HTTP_X_FORWARDED_FOR="203.0.113.7")  # fmt: skip
        assert refused.status_code == 429 and refused.json()["code"] == "too_many_attempts"
        # Another reader behind the same proxy (the same REMOTE_ADDR) is another address.
        other = api.post(TOKEN, {"username": "author", "password": PASSWORD}, format="json",
                         HTTP_X_FORWARDED_FOR="198.51.100.9")  # fmt: skip
        assert other.status_code == 200


@pytest.mark.parametrize("forwarded", ["not-an-address", "<script>", "1.2.3.4.5", "::g", "a" * 300])
def test_a_malformed_forwarded_address_is_recorded_as_unknown(api, author, forwarded):
    """A forged X-Forwarded-For (or none at all) cannot break sign-in: the address column gets a placeholder."""
    with override_settings(REST_FRAMEWORK={**_rest(), "NUM_PROXIES": 1}):
        wrong = api.post(TOKEN, {"username": "author", "password": "wrong"}, format="json",
                         HTTP_X_FORWARDED_FOR=forwarded)  # fmt: skip
        assert wrong.status_code == 400, wrong.content
        assert AccessAttempt.objects.get(username="author").ip_address is None  # unknown: no address stored
        right = api.post(TOKEN, {"username": "author", "password": PASSWORD}, format="json",
                         HTTP_X_FORWARDED_FOR=forwarded)  # fmt: skip
        assert right.status_code == 200


def test_a_request_without_remote_addr_signs_in(author):
    client = Client(REMOTE_ADDR="")
    response = client.post("/accounts/login/", {"username": "author", "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert client.get("/desk/notifications/").status_code == 200


def _rest() -> dict:
    return settings.REST_FRAMEWORK
