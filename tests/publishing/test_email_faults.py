"""Email through a real SMTP server (aiosmtpd) that refuses a recipient, hangs, or drops the connection: the
change that caused the notification has committed and stays committed, the inbox entry exists at once, every
other recipient still gets their email, the failure is recorded, and the sweeper sends it later, once."""

from __future__ import annotations

import asyncio
import datetime
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from articles.models import Revision
from editorial.models import Notification, OutboxMessage, OutboxStatus
from editorial.notifications import MAX_EMAIL_ATTEMPTS, send_unsent_emails
from tests.factories import make_article, make_user, records_unprotected

from .helpers import transition, with_email

pytestmark = pytest.mark.django_db


class MailServer:
    """An SMTP server whose behaviour a test switches: accept, refuse some recipients, hang, or drop."""

    def __init__(self) -> None:
        self.mode = "accept"
        self.received: list[tuple[str, str]] = []  # (recipient, subject)
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.mode == "hang":
            await asyncio.sleep(5)  # longer than the client's EMAIL_TIMEOUT
        if self.mode == "drop":
            server.transport.close()
            return "421 closing"
        subject = message_from_bytes(envelope.content)["Subject"]
        self.received.extend((recipient, subject) for recipient in envelope.rcpt_tos)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_server():
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT=1,
        ):
            yield handler
    finally:
        controller.stop()


@pytest.fixture
def editors():
    """Three editors with addresses: each submission notifies all three."""
    return [with_email(make_user("editor", username=f"editor{n}")) for n in range(3)]


def _submit(api, run_async):
    author = make_user("author", username="author")
    article = make_article(author)
    with run_async():  # the outbox message is done: its work (the inbox entries) is done, emails or not
        response = transition(api.as_user(author), article, "submit")
    assert response.status_code == 200, response.content  # the change is never undone by the mail server
    return article


def _sweep_later() -> int:
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    return send_unsent_emails()


def test_a_refused_recipient_is_recorded_and_the_others_still_get_theirs(api, run_async, mail_server, editors):
    mail_server.refuse = {"editor1@example.org"}
    article = _submit(api, run_async)
    assert Notification.objects.filter(article_id=article.pk, kind="submitted").count() == 3  # every inbox entry
    assert sorted(to for to, _ in mail_server.received) == ["editor0@example.org", "editor2@example.org"]
    refused = Notification.objects.get(recipient=editors[1])
    assert refused.emailed_at is None and refused.email_attempts == 1
    assert "550" in refused.email_error and "mailbox unavailable" in refused.email_error

    mail_server.refuse = set()
    assert _sweep_later() == 1  # only the one that failed
    assert sorted(to for to, _ in mail_server.received) == [f"editor{n}@example.org" for n in range(3)]
    assert Notification.objects.get(pk=refused.pk).email_error == ""
    assert _sweep_later() == 0  # sent once


def test_a_hanging_server_times_out_and_the_sweeper_sends_later(api, run_async, mail_server, editors):
    mail_server.mode = "hang"
    article = _submit(api, run_async)
    entries = Notification.objects.filter(article_id=article.pk)
    assert entries.count() == 3 and not entries.filter(emailed_at__isnull=False).exists()
    assert all("timed out" in n.email_error.lower() or "timeout" in n.email_error.lower() for n in entries)
    assert OutboxMessage.objects.get(kind="notify").status == OutboxStatus.DONE

    mail_server.mode = "accept"
    assert _sweep_later() == 3
    assert not entries.filter(emailed_at__isnull=True).exists()


def test_a_dropped_connection_fails_one_email_and_the_next_ones_reconnect(api, run_async, mail_server, editors):
    mail_server.mode = "drop"
    _submit(api, run_async)
    failed = Notification.objects.filter(emailed_at__isnull=True)
    assert failed.count() == 3 and all(n.email_error for n in failed)

    mail_server.mode = "accept"
    assert _sweep_later() == 3  # one connection, reopened after each failure: none is lost
    assert len(mail_server.received) == 3


def test_an_email_is_tried_so_many_times_then_left_in_the_inbox(api, run_async, mail_server, editors):
    mail_server.refuse = {"editor0@example.org"}
    _submit(api, run_async)
    refused = Notification.objects.get(recipient=editors[0])
    for _ in range(20):
        _sweep_later()
    refused.refresh_from_db()
    assert refused.email_attempts == MAX_EMAIL_ATTEMPTS and refused.emailed_at is None
    assert refused.read_at is None  # still waiting in the inbox, where the duty is


def test_a_title_with_line_breaks_never_reaches_a_header(api, run_async, mail_server, editors):
    """New titles are refused with line breaks (tests/api/test_titles.py); one stored before that rule still
    makes a valid subject, and every notification about it is delivered."""
    author = make_user("author", username="author")
    article = make_article(author)
    with records_unprotected():
        Revision.objects.filter(article=article).update(title="Aspirin\r\nBcc: victim@example.org\r\n")
    with run_async():
        assert transition(api.as_user(author), article, "submit").status_code == 200
    assert len(mail_server.received) == 3
    assert all("\n" not in subject and "Bcc" in subject for _, subject in mail_server.received)
    assert {to for to, _ in mail_server.received} == {f"editor{n}@example.org" for n in range(3)}
