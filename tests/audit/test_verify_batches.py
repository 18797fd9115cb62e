"""The verifier reads the chain in batches of plain rows: the same answers at every batch boundary, and
stored values in forms Django itself reads (an `at` without microseconds on SQLite, JSON in any key order)
hash as the values Django would load."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection, transaction

from editorial import audit
from editorial.audit import record_event, verify_chain
from editorial.models import AuditEvent
from tests.audit.builders import drop_append_only_triggers, sql
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve(author):
    """12 events: an article's creation and 11 more about it."""
    article = make_article(author)
    with transaction.atomic():
        for n in range(11):
            record_event("test.step", actor=author, obj=article, article_id=article.pk, before={"n": n},
                         after={"n": n + 1, "note": "é \"quoted\"\n"}, reason=f"step {n}")  # fmt: skip
    assert AuditEvent.objects.count() == 12
    return article


@pytest.mark.parametrize("batch_size", [1, 2, 5, 11, 12, 13, 5000])
def test_a_sound_chain_verifies_whatever_the_batch_size(twelve, batch_size):
    result = verify_chain(batch_size=batch_size)
    assert (result.ok, result.checked, result.head_seq) == (True, 12, 12)


@pytest.mark.parametrize("seq", [5, 6, 10, 11, 12])
def test_an_edit_on_either_side_of_a_batch_boundary_is_found_at_its_seq(twelve, seq):
    drop_append_only_triggers()
    assert sql("UPDATE editorial_auditevent SET reason = %s WHERE seq = %s", ["edited", seq]) == 1
    result = verify_chain(batch_size=5)
    assert (result.ok, result.first_broken, result.reason, result.checked) == (False, seq, "hash_mismatch", seq - 1)


def test_a_gap_longer_than_a_batch_is_found_at_its_first_missing_seq(twelve):
    drop_append_only_triggers()
    assert sql("DELETE FROM editorial_auditevent WHERE seq BETWEEN 3 AND 9") == 7
    result = verify_chain(batch_size=3)
    assert (result.ok, result.first_broken, result.reason) == (False, 3, "seq_gap")


def test_a_gap_at_a_batch_boundary_is_found(twelve):
    drop_append_only_triggers()
    assert sql("DELETE FROM editorial_auditevent WHERE seq = 6") == 1
    result = verify_chain(batch_size=5)
    assert (result.ok, result.first_broken, result.reason) == (False, 6, "seq_gap")


def test_a_deleted_tail_longer_than_a_batch_is_truncated(twelve):
    drop_append_only_triggers()
    assert sql("DELETE FROM editorial_auditevent WHERE seq > 4") == 8
    result = verify_chain(batch_size=3)
    assert (result.ok, result.first_broken, result.reason) == (False, 5, "truncated")


def test_an_event_at_a_whole_second_verifies(author, monkeypatch):
    # SQLite stores such a time without the fraction ('2026-03-01 14:02:11'); PostgreSQL as any other.
    whole = datetime.datetime(2026, 3, 1, 14, 2, 11, tzinfo=datetime.UTC)
    monkeypatch.setattr(audit.timezone, "now", lambda: whole)
    make_article(author)
    assert AuditEvent.objects.get().at == whole
    assert verify_chain().ok


def test_json_stored_in_another_key_order_and_spacing_hashes_as_the_value_it_holds(twelve):
    # Rewritten as the same value (SQLite keeps the text as written; PostgreSQL normalises jsonb): not tampering.
    drop_append_only_triggers()
    target = AuditEvent.objects.get(seq=7)
    rewritten = '{ "note" : ' + json.dumps(target.after["note"]) + ' , "n": ' + str(target.after["n"]) + " }"
    assert json.loads(rewritten) == target.after
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    assert sql(f'UPDATE editorial_auditevent SET "after" = %s{cast} WHERE seq = 7', [rewritten]) == 1
    assert verify_chain(batch_size=5).ok
    # … and any other value is tampering.
    other = json.dumps({"n": target.after["n"], "note": target.after["note"] + " "})
    assert sql(f'UPDATE editorial_auditevent SET "after" = %s{cast} WHERE seq = 7', [other]) == 1
    result = verify_chain(batch_size=5)
    assert (result.ok, result.first_broken, result.reason) == (False, 7, "hash_mismatch")
