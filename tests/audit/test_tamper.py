"""Tampering as an attacker with database rights: the chain verifier names the first broken event.

RELIABILITY.md §2. Each test drops the append-only triggers first (rolled back with the test's
transaction), builds a chain of real events through the services, tampers by SQL, and checks
`verify_chain()`, `manage.py verify_audit` and `GET /api/v1/audit/verify/`.
"""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from editorial.audit import verify_chain
from editorial.models import GENESIS_HASH, AuditChainHead, AuditEvent
from tests.audit.builders import chain_of_about_30, drop_append_only_triggers, sql

pytestmark = pytest.mark.django_db

VERIFY_URL = "/api/v1/audit/verify/"


@pytest.fixture
def chain(author, editor, board, board2):
    """About 30 real events, then the attacker's first step: every protective trigger dropped."""
    chain_of_about_30(author, editor, board, board2)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 30
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert verify_chain().ok
    drop_append_only_triggers()
    return events


def json_param() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def pick(events, position: str) -> AuditEvent:
    index = {"first": 0, "second": 1, "middle": len(events) // 2, "second_to_last": -2, "last": -1}[position]
    return events[index]


def assert_broken_at(seq: int, reason: str):
    result = verify_chain()
    assert (result.ok, result.first_broken, result.reason) == (False, seq, reason), result
    assert result.checked == seq - 1
    return result


POSITIONS = ["first", "second", "middle", "second_to_last", "last"]


# -- editing a row --------------------------------------------------------------------------------


@pytest.mark.parametrize("position", POSITIONS)
def test_editing_after_is_a_hash_mismatch_at_that_event(chain, position):
    target = pick(chain, position)
    forged = {"state": "approved", "revision": 99}
    assert forged != target.after
    assert sql(f'UPDATE editorial_auditevent SET "after" = {json_param()} WHERE seq = %s',
               [json.dumps(forged), target.seq]) == 1  # fmt: skip
    assert AuditEvent.objects.get(seq=target.seq).after == forged
    result = assert_broken_at(target.seq, "hash_mismatch")
    assert result.found_hash == target.hash and result.expected_hash != target.hash


@pytest.mark.parametrize("position", POSITIONS)
def test_editing_reason_is_a_hash_mismatch_at_that_event(chain, position):
    target = pick(chain, position)
    assert sql("UPDATE editorial_auditevent SET reason = %s WHERE seq = %s", ["Approved by phone", target.seq]) == 1
    assert_broken_at(target.seq, "hash_mismatch")


def _shift_time(event):
    moved = event.at - datetime.timedelta(days=1)
    return "at = %s", [connection.ops.adapt_datetimefield_value(moved)]


OTHER_EDITS = {
    "before": lambda e: (f'"before" = {json_param()}', [json.dumps({"state": "draft", "note": "x"})]),
    "before_key_added": lambda e: (f'"before" = {json_param()}', [json.dumps({**(e.before or {}), "x": 1})]),
    "action": lambda e: ("action = %s", ["article.publish"]),
    "actor_name": lambda e: ("actor_name = %s", ["Dr. Somebody Else, MD"]),
    "actor": lambda e: ("actor_id = NULL", []),
    "object_id": lambda e: ("object_id = %s", ["999999"]),
    "article": lambda e: ("article_id = %s", [999999]),
    "at": _shift_time,
}


@pytest.mark.parametrize("field", OTHER_EDITS)
def test_editing_any_other_hashed_field_is_a_hash_mismatch(chain, field):
    target = pick(chain, "middle")
    stored = AuditEvent.objects.filter(seq=target.seq).values().get()
    assignment, params = OTHER_EDITS[field](target)
    assert sql(f"UPDATE editorial_auditevent SET {assignment} WHERE seq = %s", [*params, target.seq]) == 1
    assert AuditEvent.objects.filter(seq=target.seq).values().get() != stored
    assert_broken_at(target.seq, "hash_mismatch")


def test_editing_the_stored_hash_breaks_that_event(chain):
    target = pick(chain, "middle")
    sql("UPDATE editorial_auditevent SET hash = %s WHERE seq = %s", ["f" * 64, target.seq])
    assert_broken_at(target.seq, "hash_mismatch")


def test_editing_prev_hash_is_a_prev_hash_mismatch(chain):
    target = pick(chain, "middle")
    sql("UPDATE editorial_auditevent SET prev_hash = %s WHERE seq = %s", ["e" * 64, target.seq])
    result = assert_broken_at(target.seq, "prev_hash_mismatch")
    assert result.expected_hash == chain[chain.index(target) - 1].hash


def test_edit_with_the_row_hash_recomputed_breaks_the_link_to_the_next_event(chain):
    target = pick(chain, "middle")
    event = AuditEvent.objects.get(seq=target.seq)
    event.reason = "Approved by phone"
    sql("UPDATE editorial_auditevent SET reason = %s, hash = %s WHERE seq = %s",
        [event.reason, event.compute_hash(), target.seq])  # fmt: skip
    assert_broken_at(target.seq + 1, "prev_hash_mismatch")


def test_edit_of_the_last_event_with_its_hash_recomputed_no_longer_matches_the_head(chain):
    target = chain[-1]
    event = AuditEvent.objects.get(seq=target.seq)
    event.reason = "Approved by phone"
    sql("UPDATE editorial_auditevent SET reason = %s, hash = %s WHERE seq = %s",
        [event.reason, event.compute_hash(), target.seq])  # fmt: skip
    result = verify_chain()
    assert (result.ok, result.first_broken, result.reason) == (False, target.seq, "head_mismatch")


def test_swapping_two_events_payloads_breaks_at_the_lower_seq(chain):
    low, high = chain[5], chain[20]
    sql(f'UPDATE editorial_auditevent SET "after" = {json_param()} WHERE seq = %s', [json.dumps(high.after), low.seq])
    sql(f'UPDATE editorial_auditevent SET "after" = {json_param()} WHERE seq = %s', [json.dumps(low.after), high.seq])
    assert_broken_at(low.seq, "hash_mismatch")


# -- deleting rows ----------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["first", "second", "middle", "second_to_last"])
def test_deleting_an_event_is_a_gap_at_its_seq(chain, position):
    target = pick(chain, position)
    assert sql("DELETE FROM editorial_auditevent WHERE seq = %s", [target.seq]) == 1
    assert_broken_at(target.seq, "seq_gap")


def test_deleting_several_events_reports_the_first(chain):
    sql("DELETE FROM editorial_auditevent WHERE seq IN (%s, %s)", [chain[20].seq, chain[9].seq])
    assert_broken_at(chain[9].seq, "seq_gap")


def test_deleting_the_last_event_is_reported_as_truncated_at_its_seq(chain):
    last = chain[-1]
    assert sql("DELETE FROM editorial_auditevent WHERE seq = %s", [last.seq]) == 1
    assert_broken_at(last.seq, "truncated")


def test_deleting_the_last_five_events_is_reported_at_the_first_missing(chain):
    sql("DELETE FROM editorial_auditevent WHERE seq > %s", [chain[-6].seq])
    assert_broken_at(chain[-5].seq, "truncated")


def test_deleting_every_event_is_reported_at_seq_1(chain):
    sql("DELETE FROM editorial_auditevent")
    assert_broken_at(1, "truncated")


# -- forged rows -------------------------------------------------------------------------------------


def forged_event(last: AuditEvent, *, prev_hash: str | None = None, hash_: str | None = None, seq=None) -> AuditEvent:
    event = AuditEvent(
        seq=seq or last.seq + 1,
        at=last.at + datetime.timedelta(seconds=1),
        actor_id=last.actor_id,
        actor_name=last.actor_name,
        action="article.approve",
        object_type="articles.article",
        object_id=last.object_id,
        article_id=last.article_id,
        before={"state": "under_review"},
        after={"state": "approved", "revision": 1},
        reason="",
        prev_hash=last.hash if prev_hash is None else prev_hash,
    )
    event.hash = event.compute_hash() if hash_ is None else hash_
    return event


def test_forged_event_with_a_correct_link_and_hash_is_beyond_the_head(chain):
    forged = forged_event(chain[-1])
    forged.save()  # an INSERT: the attacker did not touch the chain head
    assert_broken_at(forged.seq, "beyond_head")


def test_forged_event_inserted_by_raw_sql_is_beyond_the_head(chain):
    forged = forged_event(chain[-1])
    columns = ["seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "article_id",
               "before", "after", "reason", "prev_hash", "hash"]  # fmt: skip
    values = [getattr(forged, c) for c in columns]
    values[1] = connection.ops.adapt_datetimefield_value(forged.at)
    values[8], values[9] = json.dumps(forged.before), json.dumps(forged.after)
    placeholders = ", ".join(json_param() if c in ("before", "after") else "%s" for c in columns)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql(f"INSERT INTO editorial_auditevent ({quoted}) VALUES ({placeholders})", values)
    assert_broken_at(forged.seq, "beyond_head")


def test_forged_event_with_a_bogus_hash_is_a_hash_mismatch_at_its_seq(chain):
    forged = forged_event(chain[-1], hash_="a" * 64)
    forged.save()
    assert_broken_at(forged.seq, "hash_mismatch")


def test_forged_event_with_a_wrong_link_is_a_prev_hash_mismatch_at_its_seq(chain):
    forged = forged_event(chain[-1], prev_hash=GENESIS_HASH)
    forged.save()
    assert_broken_at(forged.seq, "prev_hash_mismatch")


def test_forged_event_in_place_of_a_deleted_one_is_caught_at_that_seq(chain):
    """Delete event k and insert a made-up event k with a correct link: its hash differs from the
    original, so event k+1's prev_hash no longer matches."""
    target = pick(chain, "middle")
    sql("DELETE FROM editorial_auditevent WHERE seq = %s", [target.seq])
    forged_event(chain[chain.index(target) - 1], seq=target.seq).save()
    assert_broken_at(target.seq + 1, "prev_hash_mismatch")


def test_a_forged_tail_with_the_head_rewritten_too_is_not_caught_without_checkpoints(chain):
    """Documents the limit RELIABILITY.md §2 names: a chain alone cannot catch a rewritten tail when
    the attacker also moves the head row; only checkpoints kept outside the database can."""
    forged = forged_event(chain[-1])
    forged.save()
    AuditChainHead.objects.filter(pk=1).update(seq=forged.seq, hash=forged.hash)
    assert verify_chain().ok


def test_the_chain_head_moved_back_is_reported(chain):
    AuditChainHead.objects.filter(pk=1).update(seq=chain[-2].seq, hash=chain[-2].hash)
    result = verify_chain()
    assert not result.ok
    assert result.first_broken == chain[-1].seq


# -- the command and the endpoint ---------------------------------------------------------------------


def run_verify_audit(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_verify_audit_exits_0_when_intact(chain):
    code, output = run_verify_audit()
    assert code == 0
    assert output.startswith("OK")
    assert f"{len(chain)} events checked" in output and f"#{chain[-1].seq}" in output


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_verify_audit_exits_1_and_prints_the_broken_seq(chain, position):
    target = pick(chain, position)
    sql("UPDATE editorial_auditevent SET reason = %s WHERE seq = %s", ["Approved by phone", target.seq])
    code, output = run_verify_audit()
    assert code == 1
    assert f"#{target.seq} " in output and "hash_mismatch" in output
    code, output = run_verify_audit("--json")
    assert code == 1
    report = json.loads(output)
    assert (report["ok"], report["first_broken"], report["reason"]) == (False, target.seq, "hash_mismatch")


def test_verify_audit_exits_1_when_the_last_event_was_deleted(chain):
    sql("DELETE FROM editorial_auditevent WHERE seq = %s", [chain[-1].seq])
    code, output = run_verify_audit()
    assert code == 1
    assert f"#{chain[-1].seq} (truncated)" in output


def test_verify_endpoint_for_an_auditor(chain, api, auditor):
    api.as_user(auditor)
    intact = api.get(VERIFY_URL)
    assert intact.status_code == 200
    assert intact.json()["ok"] is True
    assert intact.json()["checked"] == len(chain)
    assert intact.json()["first_broken"] is None

    target = pick(chain, "middle")
    sql("DELETE FROM editorial_auditevent WHERE seq = %s", [target.seq])
    broken = api.get(VERIFY_URL)
    assert broken.status_code == 200
    body = broken.json()
    assert body["ok"] is False
    assert body["first_broken"] == target.seq
    assert body["checked"] == target.seq - 1


@pytest.mark.parametrize("role", ["editor", "author", "board"])
def test_verify_endpoint_is_403_for_other_roles(chain, api, request, role):
    response = api.as_user(request.getfixturevalue(role)).get(VERIFY_URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_verify_endpoint_is_401_anonymous(db, api):
    response = api.get(VERIFY_URL)
    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "code"}
