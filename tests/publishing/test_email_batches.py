"""Notification emails in batches: claimed together, marked sent every MARK_SENT_EVERY, a crash repeats at most
that many, a slow server leaves the rest untried for the next run, and a batch's queries do not grow with it."""

from __future__ import annotations

import datetime
import socket

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends import locmem
from django.test import override_settings
from django.utils import timezone

from editorial import notifications
from editorial.models import Notification
from editorial.notifications import MARK_SENT_EVERY, deliver, send_emails, send_unsent_emails
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _payloads(count: int, recipients, prefix: str = "batch") -> list[dict]:
    return [
        {
            "kind": "published",
            "event_key": f"{prefix}:{n}",
            "recipient_ids": [user.pk for user in recipients],
            "subject": f"Published {n}",
            "body": "A new version.",
        }
        for n in range(count)
    ]


@pytest.fixture
def readers():
    return [make_user("author", username=f"reader{n}", email=f"reader{n}@example.org") for n in range(2)]


def _inbox_only(monkeypatch, payloads) -> None:
    """The batch's inbox rows, their emails not sent yet."""
    with monkeypatch.context() as patch:
        patch.setattr(notifications, "send_emails", lambda *args, **kwargs: 0)
        deliver(payloads)


@pytest.mark.parametrize("events", [5, 50])
def test_a_batch_costs_a_fixed_number_of_queries_plus_one_mark_per_ten_emails(
    events, readers, django_assert_max_num_queries
):
    """Inbox rows in one INSERT, the emails claimed in one SELECT and one UPDATE, marked sent ten at a time.

    (One reader: SQLite splits an INSERT of more than 90 inbox rows, its limit of 999 parameters.)"""
    readers = readers[:1]
    emails = events
    marks = -(-emails // MARK_SENT_EVERY)
    # preferences, active users; the inbox INSERT; the claim's SELECT and UPDATE; savepoints of the test's
    # transaction (two a block): 9, then the marks.
    with django_assert_max_num_queries(9 + marks):
        assert deliver(_payloads(events, readers)) == emails
    assert len(mail.outbox) == emails
    assert Notification.objects.filter(emailed_at__isnull=False, email_attempts=1).count() == emails


class Crash(BaseException):
    """The worker process dies here: nothing after it reaches the database."""


def test_a_worker_dying_mid_batch_repeats_at_most_the_emails_sent_since_the_last_mark(monkeypatch, readers):
    _inbox_only(monkeypatch, _payloads(25, readers))
    total = Notification.objects.count()
    assert total == 50

    real_message, crashed, sent = notifications._message, [], []

    def dying_message(batch, *args, **kwargs):
        if len(sent) == 2 * MARK_SENT_EVERY + 4:
            crashed.append(True)
            raise Crash
        sent.append(batch[0].pk)
        return real_message(batch, *args, **kwargs)

    real_mark = notifications._mark_sent
    monkeypatch.setattr(notifications, "_message", dying_message)
    monkeypatch.setattr(notifications, "_mark_sent", lambda ids: None if crashed else real_mark(ids))
    with pytest.raises(Crash):
        send_emails(Notification.objects.all())
    assert len(mail.outbox) == 24
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2 * MARK_SENT_EVERY
    unsent = Notification.objects.filter(emailed_at__isnull=True)
    assert send_unsent_emails() == 0  # still leased to the dead worker: no one sends them meanwhile

    monkeypatch.setattr(notifications, "_message", real_message)
    monkeypatch.setattr(notifications, "_mark_sent", real_mark)
    unsent.update(  # the lease ran out; the sweeper's turn
        email_claimed_until=timezone.now() - datetime.timedelta(seconds=1),
        created_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    assert send_unsent_emails() == total - 2 * MARK_SENT_EVERY
    repeated = len(mail.outbox) - total
    assert repeated == 4 <= MARK_SENT_EVERY  # the four sent after the last mark
    assert {m.to[0] for m in mail.outbox} == {r.email for r in readers}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@override_settings(EMAIL_TIMEOUT=1)  # one email's lease: 10 s
def test_a_slow_server_leaves_the_rest_of_the_claim_untried_for_the_next_run(monkeypatch, readers):
    _inbox_only(monkeypatch, _payloads(3, readers))
    clock = iter(range(0, 1000, 4))  # each look at the clock: 4 s later
    monkeypatch.setattr(notifications.time, "monotonic", lambda: next(clock))

    assert send_emails(Notification.objects.all()) == 2  # at 4 s and 8 s; at 12 s the budget is spent
    left = Notification.objects.filter(emailed_at__isnull=True)
    assert left.count() == 4
    assert set(left.values_list("email_claimed_until", "email_attempts")) == {(None, 0)}  # released, untried
    clock = iter(range(0, 1000, 1))
    assert send_emails(Notification.objects.all()) == 4
    assert len(mail.outbox) == 6


def test_a_claim_skips_emails_under_another_workers_lease_and_takes_expired_ones(monkeypatch, readers):
    _inbox_only(monkeypatch, _payloads(2, readers))
    first, second, *rest = Notification.objects.order_by("id")
    Notification.objects.filter(pk=first.pk).update(email_claimed_until=timezone.now() + datetime.timedelta(60))
    Notification.objects.filter(pk=second.pk).update(email_claimed_until=timezone.now() - datetime.timedelta(1))
    assert send_emails(Notification.objects.all()) == 3
    assert Notification.objects.get(pk=first.pk).emailed_at is None
    assert sorted(m.to[0] for m in mail.outbox) == sorted([second.recipient.email] + [n.recipient.email for n in rest])


def test_the_tasks_time_limit_stops_the_batch_keeps_what_went_and_releases_the_rest(monkeypatch, readers):
    """Celery's soft time limit arrives mid-send: not taken for a refused recipient and sent past."""
    _inbox_only(monkeypatch, _payloads(3, readers))
    real_message, started = notifications._message, []

    def limited_message(batch, *args, **kwargs):
        started.append(batch[0].pk)
        if len(started) == 3:
            raise SoftTimeLimitExceeded
        return real_message(batch, *args, **kwargs)

    monkeypatch.setattr(notifications, "_message", limited_message)
    with pytest.raises(SoftTimeLimitExceeded):
        send_emails(Notification.objects.all())
    assert len(mail.outbox) == 2 and len(started) == 3
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2
    interrupted = Notification.objects.get(pk=started[2])
    assert interrupted.email_claimed_until is not None and interrupted.email_attempts == 1  # its lease runs out
    rest = Notification.objects.filter(emailed_at__isnull=True).exclude(pk=started[2])
    assert rest.count() == 3
    assert set(rest.values_list("email_claimed_until", "email_attempts")) == {(None, 0)}  # released, untried


def test_an_unreachable_mail_server_releases_the_claim(monkeypatch, readers):
    _inbox_only(monkeypatch, _payloads(2, readers))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port
        ),
        pytest.raises(OSError),
    ):
        send_emails(Notification.objects.all())
    assert set(Notification.objects.values_list("emailed_at", "email_claimed_until", "email_attempts")) == {
        (None, None, 0)
    }
    assert send_emails(Notification.objects.all()) == 4  # the next run takes them all


MARKED_AT_CLOSE: list[int] = []


class RecordingCloseBackend(locmem.EmailBackend):
    """Notes, when the connection is closed, how many notifications are already marked sent."""

    def close(self):
        MARKED_AT_CLOSE.append(Notification.objects.filter(emailed_at__isnull=False).count())
        return super().close()


@override_settings(EMAIL_BACKEND="tests.publishing.test_email_batches.RecordingCloseBackend")
def test_the_last_emails_are_marked_before_the_connection_is_closed(monkeypatch, readers):
    """Closing an SMTP connection (QUIT) can take EMAIL_TIMEOUT: the marks must not wait for it."""
    _inbox_only(monkeypatch, _payloads(3, readers))
    MARKED_AT_CLOSE.clear()
    assert send_emails(Notification.objects.all()) == 6
    assert MARKED_AT_CLOSE == [6]
