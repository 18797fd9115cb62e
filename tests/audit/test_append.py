"""An append is one statement when the head is the one this process last appended to (PostgreSQL), and
still lands right after the head when it is not: another process appended since, or the transaction or a
savepoint that appended was rolled back."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from editorial import audit, protection
from editorial.audit import record_event, verify_chain
from editorial.models import AuditChainHead, AuditEvent
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_the_returned_event_is_the_stored_row(author):
    article = make_article(author)
    with transaction.atomic():
        event = record_event("test.step", actor=author, obj=article, article_id=article.pk,
                             before={"b": 1}, after={"a": [1, "é"]}, reason="why")  # fmt: skip
    stored = AuditEvent.objects.get(pk=event.pk)
    assert not event._state.adding
    assert (stored.seq, stored.hash, stored.prev_hash, stored.at) == (event.seq, event.hash, event.prev_hash, event.at)
    assert stored.after == {"a": [1, "é"]} and stored.actor_id == author.pk and stored.object_id == str(article.pk)
    assert stored.compute_hash() == event.hash
    assert AuditChainHead.objects.get(pk=1).seq == event.seq
    assert verify_chain().ok


def test_one_statement_an_event_on_postgresql_once_the_head_is_known(author):
    article = make_article(author)
    with transaction.atomic():
        record_event("test.step", actor=None, obj=article, article_id=article.pk)
        with CaptureQueriesContext(connection) as queries:
            record_event("test.step", actor=None, obj=article, article_id=article.pk)
    # SQLite reads the head, then inserts (both in-process, under the IMMEDIATE transaction's lock).
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2), queries.captured_queries
    assert verify_chain().ok


def test_a_head_moved_by_another_process_is_found_and_followed(author):
    article = make_article(author)
    # As if another process had appended since this one last did: the head expected is not the head.
    audit._last_head.value = (999, "f" * 64)
    with transaction.atomic():
        event = record_event("test.step", actor=None, obj=article, article_id=article.pk)
    assert event.seq == AuditEvent.objects.count()
    assert verify_chain().ok


def test_after_a_rolled_back_savepoint_the_next_event_continues_the_head(author):
    article = make_article(author)
    with transaction.atomic():
        record_event("test.kept", actor=None, obj=article, article_id=article.pk)
        with contextlib.suppress(ZeroDivisionError), transaction.atomic():
            record_event("test.lost", actor=None, obj=article, article_id=article.pk)
            record_event("test.lost", actor=None, obj=article, article_id=article.pk)
            raise ZeroDivisionError
        record_event("test.kept", actor=None, obj=article, article_id=article.pk)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["article.create", "test.kept", "test.kept"]
    assert verify_chain().ok


def test_a_missing_head_row_is_created(author):
    article = make_article(author)
    # A database whose head row is gone (the migration creates it): the first append makes it again.
    protection.remove(connection)  # rolled back with the test's transaction, as the deletes are
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM editorial_auditevent")
        cursor.execute("DELETE FROM editorial_auditchainhead")
    protection.install(connection)
    with transaction.atomic():
        event = record_event("test.step", actor=None, obj=article, article_id=article.pk)
    assert event.seq == 1 and AuditChainHead.objects.get(pk=1).seq == 1
    assert verify_chain().ok
