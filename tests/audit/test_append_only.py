"""Audit events are append-only in the database itself, not only in Python (DESIGN.md, Audit trail)."""

import pytest
from django.db import DatabaseError, connection, transaction

from editorial.audit import verify_chain
from editorial.models import AuditEvent
from tests.audit.builders import drop_append_only_triggers, full_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(author, editor, board, board2):
    full_review(author, editor, board, board2)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 10
    return events


def snapshot():
    return list(AuditEvent.objects.order_by("seq").values_list("seq", "action", "reason", "after", "hash"))


RAW_STATEMENTS = {
    "update one row": "UPDATE editorial_auditevent SET reason = 'rewritten' WHERE seq = 3",
    "update a json column": """UPDATE editorial_auditevent SET "after" = NULL WHERE seq = 2""",
    "update every row": "UPDATE editorial_auditevent SET actor_name = 'nobody'",
    "delete one row": "DELETE FROM editorial_auditevent WHERE seq = 3",
    "delete the last row": "DELETE FROM editorial_auditevent WHERE seq = (SELECT MAX(seq) FROM editorial_auditevent)",
    "delete every row": "DELETE FROM editorial_auditevent",
}


@pytest.mark.parametrize("sql", RAW_STATEMENTS.values(), ids=RAW_STATEMENTS.keys())
def test_raw_sql_update_and_delete_are_refused_by_the_database(events, sql):
    before = snapshot()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert snapshot() == before
    assert verify_chain().ok


def test_queryset_update_and_delete_are_refused_by_the_database(events):
    before = snapshot()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=events[0].seq).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=events[-1].seq).delete()
    assert snapshot() == before


def test_saving_or_deleting_an_existing_event_raises(events):
    before = snapshot()
    event = AuditEvent.objects.get(seq=events[1].seq)
    event.reason = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.save(update_fields=["reason"])
    with pytest.raises(PermissionError):
        event.delete()
    assert snapshot() == before
    assert verify_chain().ok


def test_dropping_the_triggers_is_what_makes_a_raw_update_possible(events):
    """The control for the tests above: the refusal comes from the triggers, and nothing else stops SQL."""
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE editorial_auditevent SET reason = 'rewritten' WHERE seq = %s", [events[2].seq])
        assert cursor.rowcount == 1
    assert AuditEvent.objects.get(seq=events[2].seq).reason == "rewritten"


def test_appending_still_works_after_a_refused_update(events, author, editor, board, board2):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE editorial_auditevent SET reason = 'x'")
    full_review(author, editor, board, board2, title="Another question")
    assert AuditEvent.objects.count() == 2 * len(events)
    assert verify_chain().ok
