"""Stuck work on the editor desk: dead outbox messages and emails every attempt failed, shown with their error,
retried by an editor (audited); nobody else may retry, and only stuck work can be retried."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from editorial import outbox
from editorial.models import AuditEvent, Notification, OutboxMessage, OutboxStatus
from editorial.notifications import MAX_EMAIL_ATTEMPTS, send_unsent_emails
from tests.factories import make_user
from tests.pages.editor.helpers import count_queries, signed_in
from tests.pages.workspace.helpers import shown

pytestmark = pytest.mark.django_db

DESK = reverse("editor-desk")


def dead_message(editor, key: str = "dead") -> OutboxMessage:
    outbox.enqueue(
        "notify",
        {"kind": "submitted", "event_key": key, "recipient_ids": [editor.pk], "subject": f"Subject {key}", "body": "b"},
        dedupe_key=key,
    )
    OutboxMessage.objects.filter(dedupe_key=key).update(
        status=OutboxStatus.DEAD, attempts=12, last_error="ConnectionError: broker unreachable"
    )
    return OutboxMessage.objects.get(dedupe_key=key)


def stuck_email(user) -> Notification:
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return Notification.objects.create(
        event_key=f"stuck:{user.pk}",
        recipient=user,
        kind="submitted",
        subject="Submitted: Aspirin",
        body="b",
        email_mode="immediate",
        email_attempts=MAX_EMAIL_ATTEMPTS,
        email_error="SMTPRecipientsRefused: 550 mailbox unavailable",
    )


def test_the_desk_shows_dead_messages_and_an_editor_retries_one(editor, django_capture_on_commit_callbacks):
    message = dead_message(editor)
    client = signed_in(editor)
    page = client.get(DESK).content.decode()
    assert 'id="stuck-work"' in page and "Subject dead" in page and "broker unreachable" in page

    with django_capture_on_commit_callbacks(execute=True):  # the retried message runs after the commit
        response = client.post(reverse("editor-retry-work", args=[message.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#stuck-work")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.deliveries) == (OutboxStatus.DONE, 0, 1)
    assert Notification.objects.filter(event_key="dead", recipient=editor).exists()
    event = AuditEvent.objects.get(action="outbox.retry")
    assert event.actor == editor and event.object_id == str(message.pk)
    assert event.before["status"] == "dead" and event.before["last_error"] == "ConnectionError: broker unreachable"
    assert 'id="stuck-work"' not in client.get(DESK).content.decode()


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_only_an_editor_may_retry(editor, role):
    message = dead_message(editor)
    notification = stuck_email(editor)
    client = signed_in(make_user(role, username=f"{role}-x"))
    assert client.post(reverse("editor-retry-work", args=[message.pk])).status_code == 403
    assert client.post(reverse("editor-retry-email", args=[notification.pk])).status_code == 403
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.DEAD
    assert Notification.objects.get(pk=notification.pk).email_attempts == MAX_EMAIL_ATTEMPTS
    assert not AuditEvent.objects.exists()


def test_anonymous_is_sent_to_sign_in(editor):
    message = dead_message(editor)
    answer = Client().post(reverse("editor-retry-work", args=[message.pk]))
    assert answer.status_code == 302 and reverse("login") in answer["Location"]
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.DEAD


def test_work_that_is_not_stuck_cannot_be_retried(editor):
    outbox.enqueue("notify", {"kind": "x", "event_key": "p", "recipient_ids": [], "subject": "s", "body": "b"},
                   dedupe_key="pending")  # fmt: skip
    pending = OutboxMessage.objects.get(dedupe_key="pending")
    client = signed_in(editor)
    response = client.post(reverse("editor-retry-work", args=[pending.pk]), follow=True)
    assert "This work is pending, not stuck." in shown(response)
    unknown = client.post(reverse("editor-retry-work", args=[uuid.uuid4()]), follow=True)
    assert "No such work." in shown(unknown)
    assert client.post(f"{DESK}stuck/not-a-uuid/retry/").status_code == 404
    fresh = Notification.objects.create(event_key="f", recipient=editor, kind="submitted", subject="s", body="b",
                                        email_mode="immediate", email_attempts=2)  # fmt: skip
    still_trying = client.post(reverse("editor-retry-email", args=[fresh.pk]), follow=True)
    assert any(m.startswith("This email is not stuck") for m in shown(still_trying))
    assert Notification.objects.get(pk=fresh.pk).email_attempts == 2
    assert not AuditEvent.objects.exists()


def test_an_editor_retries_a_stuck_email_and_the_sweeper_sends_it(editor):
    notification = stuck_email(make_user("author", username="author"))
    client = signed_in(editor)
    page = client.get(DESK).content.decode()
    assert 'id="stuck-emails"' in page and "550 mailbox unavailable" in page
    assert client.post(reverse("editor-retry-email", args=[notification.pk])).status_code == 302
    assert Notification.objects.get(pk=notification.pk).email_attempts == 0
    event = AuditEvent.objects.get(action="notification.retry_email")
    assert event.actor == editor and event.before["email_attempts"] == MAX_EMAIL_ATTEMPTS

    Notification.objects.filter(pk=notification.pk).update(created_at=notification.created_at.replace(year=2000))
    assert send_unsent_emails() == 1
    assert [m.to for m in mail.outbox] == [["author@example.org"]]


def test_the_desk_does_not_query_more_as_stuck_work_grows(editor, django_assert_max_num_queries):
    client = signed_in(editor)
    dead_message(editor, "d0")
    stuck_email(make_user("author", username="a0"))
    small = count_queries(lambda: client.get(DESK))
    for n in range(1, 6):
        dead_message(editor, f"d{n}")
        stuck_email(make_user("author", username=f"a{n}"))
    with django_assert_max_num_queries(small):
        page = client.get(DESK).content.decode()
    assert page.count("Retry<span") == 12
