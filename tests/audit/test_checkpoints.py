"""Signed checkpoints outside the database catch what whoever owns the database could rewrite: a deleted
tail with the head moved back, a tail rewritten with every hash recomputed (API.md "Audit")."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import override_settings

from articles.models import Article
from editorial.audit import verify_chain
from editorial.checkpoints import load_checkpoints, write_checkpoint
from editorial.models import AuditChainHead, AuditEvent
from editorial.services import assignments as assignment_services
from editorial.verification import verify_audit
from tests.audit.builders import drop_append_only_triggers, full_review, sql

pytestmark = pytest.mark.django_db


def run_verify(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def reviewed(author, editor, board, board2):
    full_review(author, editor, board, board2)
    return list(AuditEvent.objects.order_by("seq"))


def test_the_command_writes_a_signed_checkpoint_and_prints_it(reviewed, settings):
    out = io.StringIO()
    call_command("audit_checkpoint", "--print", stdout=out)
    printed = json.loads(out.getvalue())
    assert (printed["seq"], printed["hash"]) == (reviewed[-1].seq, reviewed[-1].hash)
    [checkpoint], unreadable = load_checkpoints()
    assert unreadable == [] and checkpoint.signed_correctly
    assert checkpoint.as_dict() == printed
    files = list(Path(settings.AUDIT_CHECKPOINT_DIR).iterdir())
    assert [f.name for f in files] == [checkpoint.source]
    assert (0, f"OK: {len(reviewed)} events checked against 1 checkpoint(s)") == (
        run_verify()[0],
        run_verify()[1].split(", head")[0],
    )


def test_a_deleted_tail_with_the_head_moved_back_is_caught_only_by_the_checkpoint(reviewed):
    write_checkpoint()
    keep = reviewed[-4]
    drop_append_only_triggers()  # the database owner's first step
    sql("DELETE FROM editorial_auditevent WHERE seq > %s", [keep.seq])
    AuditChainHead.objects.filter(pk=1).update(seq=keep.seq, hash=keep.hash)
    assert verify_chain().ok  # the rows left hash correctly among themselves: the chain alone cannot tell
    result = verify_audit()
    assert (result["ok"], result["reason"], result["first_broken"]) == (False, "truncated", keep.seq + 1)
    assert result["checkpoint"].startswith(f"checkpoint-{reviewed[-1].seq:012d}-")
    code, output = run_verify()
    assert code == 1
    assert f"BROKEN at event #{keep.seq + 1} (truncated) (checkpoint checkpoint-{reviewed[-1].seq:012d}-" in output


def test_a_tail_rewritten_with_every_hash_recomputed_is_a_checkpoint_mismatch(reviewed):
    write_checkpoint()
    drop_append_only_triggers()
    previous = reviewed[-4].hash
    for event in reviewed[-3:]:
        # The last three events get another reason; their hashes and links are recomputed to match.
        event.reason, event.prev_hash = "Approved by telephone", previous
        event.hash = event.compute_hash()
        sql(
            "UPDATE editorial_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.reason, event.prev_hash, event.hash, event.seq],
        )
        previous = event.hash
    sql("UPDATE editorial_auditchainhead SET hash = %s WHERE id = 1", [previous])
    assert verify_chain().ok
    result = verify_audit()
    assert (result["ok"], result["reason"], result["first_broken"]) == (False, "checkpoint_mismatch", reviewed[-1].seq)
    assert result["expected_hash"] != result["found_hash"] == previous


def test_a_checkpoint_that_is_not_validly_signed_is_reported(reviewed, settings):
    _, path = write_checkpoint()
    forged = json.loads(path.read_text()) | {"hash": "0" * 64}
    path.write_text(json.dumps(forged))
    result = verify_audit()
    assert (result["ok"], result["reason"], result["checkpoint"]) == (False, "checkpoint_invalid", path.name)


def test_a_checkpoint_signed_with_another_key_is_not_valid(reviewed):
    with override_settings(AUDIT_CHECKPOINT_KEY="a key the attacker chose"):
        write_checkpoint()
    assert verify_audit()["reason"] == "checkpoint_invalid"
    with override_settings(AUDIT_CHECKPOINT_KEY="a key the attacker chose"):
        assert verify_audit()["ok"] is True


def test_a_checkpoint_kept_by_an_auditor_is_checked_too(reviewed, tmp_path, settings, board):
    article = Article.objects.get()
    for statement in ("None", "Still none"):  # two events at the tail that no record rests on
        assignment_services.declare_conflict(article, actor=board, has_conflict=False, statement=statement)
    reviewed = list(AuditEvent.objects.order_by("seq"))
    out = io.StringIO()
    call_command("audit_checkpoint", "--print", stdout=out)
    kept = tmp_path / "kept.json"
    kept.write_text(out.getvalue())
    for path in Path(settings.AUDIT_CHECKPOINT_DIR).iterdir():
        path.unlink()  # the folder was emptied by whoever rewrote the database
    keep = reviewed[-2]
    drop_append_only_triggers()
    sql("DELETE FROM editorial_auditevent WHERE seq > %s", [keep.seq])
    AuditChainHead.objects.filter(pk=1).update(seq=keep.seq, hash=keep.hash)
    assert run_verify()[0] == 0  # nothing left in the folder to compare with
    code, output = run_verify("--checkpoint", str(kept))
    assert code == 1 and "(truncated)" in output and str(kept) in output


def test_the_head_moves_only_to_the_event_just_appended(reviewed):
    last = reviewed[-1]
    for seq, hash_ in ((last.seq - 2, reviewed[-3].hash), (last.seq + 5, "f" * 64), (last.seq, "e" * 64)):
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditChainHead.objects.filter(pk=1).update(seq=seq, hash=hash_)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditChainHead.objects.filter(pk=1).delete()
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (last.seq, last.hash)


def test_an_event_that_does_not_continue_the_chain_is_refused_at_insert(reviewed):
    last = reviewed[-1]
    forged = AuditEvent(
        seq=last.seq + 2, at=last.at, action="forged", object_type="x", object_id="1", prev_hash=last.hash
    )
    forged.hash = forged.compute_hash()
    with pytest.raises(DatabaseError), transaction.atomic():
        forged.save()
    forged = AuditEvent(seq=last.seq + 1, at=last.at, action="forged", object_type="x", object_id="1",
                        prev_hash="0" * 64)  # fmt: skip
    forged.hash = forged.compute_hash()
    with pytest.raises(DatabaseError), transaction.atomic():
        forged.save()
    assert AuditEvent.objects.count() == len(reviewed)
    assert verify_audit()["ok"] is True


def test_the_verify_endpoint_counts_the_checkpoints(reviewed, api, auditor):
    write_checkpoint()
    write_checkpoint()
    body = api.as_user(auditor).get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["checked"], body["checkpoints"], body["records"]) == (True, len(reviewed), 2, [])
