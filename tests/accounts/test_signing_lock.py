"""API.md "Sign-in and signing attempts": 5 consecutive wrong passwords on decisions lock that member's signing
for 15 minutes (the right password included); each failure and the lock audited; editors told; a success resets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from editorial.models import AuditEvent, Notification
from reviewers.models import Decision
from tests.factories import PASSWORD, reviewed_article
from tests.workflow.helpers import article_url

pytestmark = pytest.mark.django_db


def sign(api, article, password: str):
    return api.post(article_url(article) + "transitions/approve/", {"password": password, "revision": 1}, format="json")


@pytest.fixture
def article(author, editor, board):
    return reviewed_article(author, editor, [board], state="under_review")


def test_five_wrong_passwords_lock_signing_even_with_the_right_one(
    api, article, board, editor, django_capture_on_commit_callbacks
):
    api.as_user(board)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            response = sign(api, article, f"wrong {n}")
            assert (response.status_code, response.json()["code"]) == (403, "signature_failed")
    locked = sign(api, article, PASSWORD)
    assert (locked.status_code, locked.json()["code"]) == (429, "too_many_attempts")
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    assert not Decision.objects.exists()
    failures = AuditEvent.objects.filter(action="decision.signature_failed").order_by("seq")
    assert [e.after["consecutive_failures"] for e in failures] == [1, 2, 3, 4, 5]
    lock = AuditEvent.objects.get(action="account.lock")
    assert lock.after["what"] == "signing" and lock.object_id == str(board.pk)
    [told] = Notification.objects.filter(recipient=editor, kind="account")
    assert told.subject == "Signing locked for board1 after 5 wrong passwords"


def test_the_lock_comes_after_the_403s_and_before_the_400s(api, article, board, board2):
    api.as_user(board)
    for n in range(5):
        sign(api, article, f"wrong {n}")
    # 429 before 400: a body missing its password is still "too many attempts".
    response = api.post(article_url(article) + "transitions/approve/", {}, format="json")
    assert response.status_code == 429
    # 403 before 429: another member who is not assigned is refused for that first.
    assert api.as_user(board2).post(article_url(article) + "transitions/approve/", {}, format="json").status_code in (
        403,
    )


def test_a_success_resets_the_count(api, article, board):
    api.as_user(board)
    for n in range(4):
        sign(api, article, f"wrong {n}")
    assert sign(api, article, PASSWORD).status_code == 200
    assert not AuditEvent.objects.filter(action="account.lock").exists()


def test_an_editor_unlocks_signing(api, article, board, editor):
    api.as_user(board)
    for n in range(5):
        sign(api, article, f"wrong {n}")
    client = Client()
    client.force_login(editor)
    assert "board1" in client.get("/desk/editor/accounts/").content.decode().split('id="signing-locks"')[1]
    client.post("/desk/editor/accounts/unlock/", {"what": "signing", "username": board.username})
    assert sign(api.as_user(board), article, PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="account.unlock", after__what="signing").count() == 1


def test_the_password_is_checked_before_the_article_is_locked(api, article, board):
    """A wrong password takes no row lock: the failure is recorded in its own short transaction."""
    api.as_user(board)
    with CaptureQueriesContext(connection) as queries:
        sign(api, article, "wrong")
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"] and "articles_article" in q["sql"]]
    assert locks == []
