"""Racing email senders on PostgreSQL: real commits, one connection per thread, a barrier. Each claims its
emails in one short transaction (skip_locked, then a lease): every email goes once, whoever sends it."""

import pytest
from django.core import mail

from editorial.models import Notification
from editorial.notifications import send_emails
from tests.concurrency.threads import run_in_threads
from tests.factories import make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_four_senders_racing_over_the_same_emails_send_each_once():
    users = [make_user("author", username=f"racer{n}", email=f"racer{n}@example.org") for n in range(4)]
    Notification.objects.bulk_create(
        Notification(event_key=f"race:{n}", recipient=user, kind="published", subject=f"Race {n}", body="b")
        for n in range(30)
        for user in users
    )
    mail.outbox = []
    results = run_in_threads(4, lambda i: send_emails(Notification.objects.all()))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 120
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert len(sent) == len(set(sent)) == 120
    assert set(Notification.objects.values_list("email_attempts", flat=True)) == {1}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_senders_racing_with_limits_share_the_emails_and_leave_none():
    """The sweeper's limit: each racer claims at most 25; what one skipped (locked) another takes."""
    users = [make_user("author", username=f"limited{n}", email=f"limited{n}@example.org") for n in range(2)]
    Notification.objects.bulk_create(
        Notification(event_key=f"limit:{n}", recipient=user, kind="published", subject=f"Limit {n}", body="b")
        for n in range(50)
        for user in users
    )
    mail.outbox = []
    total = 0
    for _ in range(3):
        results = run_in_threads(4, lambda i: send_emails(Notification.objects.all(), limit=25))
        assert not [r for r in results if isinstance(r, BaseException)], results
        total += sum(results)
    assert total == 100
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == len(mail.outbox) == 100
