"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Subquery
from django.utils import timezone

from .models import GENESIS_HASH, HASHED_FIELDS, AuditChainHead, AuditEvent, event_hash


def actor_display_name(actor) -> str:
    if actor is None:
        return ""
    profile = getattr(actor, "board_profile", None) if hasattr(actor, "board_profile") else None
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return (profile.display_name if profile else "") or full or actor.get_username()


def _lock_chain_head() -> AuditChainHead:
    # PostgreSQL: the row lock serialises appenders. SQLite: the IMMEDIATE transaction already holds
    # the database write lock, and select_for_update is a no-op there.
    try:
        return AuditChainHead.objects.select_for_update().get(pk=1)
    except AuditChainHead.DoesNotExist:
        AuditChainHead.objects.get_or_create(pk=1)
        return AuditChainHead.objects.select_for_update().get(pk=1)


def record_event(
    action: str,
    *,
    actor,
    obj,
    article_id: int | None = None,
    before=None,
    after=None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event() must run inside the transaction of the change it records")
    head = _lock_chain_head()
    event = AuditEvent(
        seq=head.seq + 1,
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor_display_name(actor),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        article_id=article_id,
        before=before,
        after=after,
        reason=reason,
        prev_hash=head.hash,
    )
    event.hash = event.compute_hash()
    # One INSERT: the database checks that the event continues the chain and moves the head to it
    # (editorial.protection), so nothing else may move the head.
    event.save()
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    expected_hash: str | None = None
    found_hash: str | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken": self.first_broken,
            "reason": self.reason,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "expected_hash": self.expected_hash,
            "found_hash": self.found_hash,
        }


def verify_chain(batch_size: int = 2000) -> VerifyResult:
    """Walk the chain in `seq` order and report the first event that does not hold.

    Checks, per event: the sequence has no gap, `prev_hash` is the previous event's hash, and the
    stored hash is the hash of the stored fields. Then the chain head row must match the last event,
    which catches a deleted tail or an appended forgery.
    """
    # No transaction: on SQLite an IMMEDIATE one would hold the write lock for the whole walk. The rows
    # and the head come from one statement, so they are consistent with each other.
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS_HASH
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    result = None
    # Each row carries the head as of the same statement: under READ COMMITTED (PostgreSQL) the head
    # read above can be older than the rows, and events appended in between looked "beyond_head".
    head_row = AuditChainHead.objects.filter(pk=1)
    rows = AuditEvent.objects.order_by("seq").values(
        *HASHED_FIELDS,
        "hash",
        head_seq_now=Subquery(head_row.values("seq")),
        head_hash_now=Subquery(head_row.values("hash")),
    )
    for event in rows.iterator(chunk_size=batch_size):
        seq_now, hash_now = event.pop("head_seq_now"), event.pop("head_hash_now")
        if seq_now is not None:
            head_seq, head_hash = seq_now, hash_now
        seq = event["seq"]
        if seq != expected_seq:
            # A missing row: the event that should stand at expected_seq is gone.
            result = VerifyResult(False, checked, expected_seq, "seq_gap")
            break
        if event["prev_hash"] != prev_hash:
            result = VerifyResult(
                False, checked, seq, "prev_hash_mismatch", expected_hash=prev_hash, found_hash=event["prev_hash"]
            )
            break
        stored = event.pop("hash")
        computed = event_hash(event)
        if computed != stored:
            result = VerifyResult(False, checked, seq, "hash_mismatch", expected_hash=computed, found_hash=stored)
            break
        checked += 1
        prev_hash = stored
        expected_seq += 1
    if result is None:
        last_seq = expected_seq - 1
        if last_seq > head_seq:
            # Events past the head are not part of the chain: only those up to the head count as checked.
            result = VerifyResult(False, head_seq, head_seq + 1, "beyond_head")
        elif last_seq < head_seq:
            result = VerifyResult(False, checked, last_seq + 1, "truncated")
        elif head_hash != prev_hash:
            result = VerifyResult(
                False, checked, last_seq, "head_mismatch", expected_hash=head_hash, found_hash=prev_hash
            )
        else:
            result = VerifyResult(True, checked)
    result.head_seq, result.head_hash = head_seq, head_hash
    return result
