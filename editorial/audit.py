"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Subquery
from django.utils import timezone

from . import page_versions
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
        return AuditChainHead.objects.select_for_update(no_key=True).get(pk=1)
    except AuditChainHead.DoesNotExist:
        AuditChainHead.objects.get_or_create(pk=1)
        return AuditChainHead.objects.select_for_update(no_key=True).get(pk=1)


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
    # Whatever changed an article may change its public page: its cached pages stop being served.
    page_versions.changed(article_id)
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
    checkpoints: int = 0
    checkpoint: str | None = None  # the checkpoint that caught a break, or one that is not validly signed

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
            "checkpoints": self.checkpoints,
            "checkpoint": self.checkpoint,
        }


def _head_and_last() -> tuple[int, str, int]:
    """The head and the highest event, read in one statement (one snapshot)."""
    row = (
        AuditChainHead.objects.filter(pk=1)
        .annotate(last=Subquery(AuditEvent.objects.order_by("-seq").values("seq")[:1]))
        .values_list("seq", "hash", "last")
        .first()
    )
    if row is None:
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        return 0, GENESIS_HASH, last or 0
    return row[0], row[1], row[2] or 0


def verify_chain(checkpoints=(), batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in `seq` order and report the first event that does not hold.

    Per event: the sequence has no gap, `prev_hash` is the previous event's hash, the stored hash is the
    hash of the stored fields, and the hash is the one every checkpoint at that sequence number vouches for.
    Then the head row must match the last event (a deleted tail, an appended forgery), and no checkpoint
    may lie beyond the chain (a truncated chain whose head was moved back). `checkpoints` are
    editorial.checkpoints.Checkpoint objects whose signatures the caller has checked.

    No transaction (on SQLite an IMMEDIATE one would hold the write lock for the whole walk): the events
    are read in batches by sequence number, which events appended meanwhile cannot disturb, and the walk
    ends on a statement that reads the head and the last event together.
    """
    vouched: dict[int, list] = {}
    for checkpoint in checkpoints:
        vouched.setdefault(checkpoint.seq, []).append(checkpoint)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    fields = (*HASHED_FIELDS, "hash")
    while True:
        batch = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq").values_list(*fields)[:batch_size])
        if not batch:
            head_seq, head_hash, last = _head_and_last()
            if last >= expected_seq:
                continue  # appended while the walk ended: walk on
            break
        for values in batch:
            event = dict(zip(fields, values, strict=True))
            seq = event["seq"]
            if seq != expected_seq:
                # A missing row: the event that should stand at expected_seq is gone.
                return _broken(VerifyResult(False, checked, expected_seq, "seq_gap"), checkpoints)
            if event["prev_hash"] != prev_hash:
                result = VerifyResult(
                    False, checked, seq, "prev_hash_mismatch", expected_hash=prev_hash, found_hash=event["prev_hash"]
                )
                return _broken(result, checkpoints)
            stored = event.pop("hash")
            computed = event_hash(event)
            if computed != stored:
                result = VerifyResult(False, checked, seq, "hash_mismatch", expected_hash=computed, found_hash=stored)
                return _broken(result, checkpoints)
            for checkpoint in vouched.get(seq, ()):
                if checkpoint.hash != stored:
                    result = VerifyResult(
                        False,
                        checked,
                        seq,
                        "checkpoint_mismatch",
                        expected_hash=checkpoint.hash,
                        found_hash=stored,
                        checkpoint=checkpoint.source,
                    )
                    return _broken(result, checkpoints)
            checked += 1
            prev_hash = stored
            expected_seq += 1
    last_seq = expected_seq - 1
    beyond = [c for c in checkpoints if c.seq > last_seq]
    if last_seq > head_seq:
        # Events past the head are not part of the chain: only those up to the head count as checked.
        result = VerifyResult(False, head_seq, head_seq + 1, "beyond_head")
    elif last_seq < head_seq:
        result = VerifyResult(False, checked, last_seq + 1, "truncated")
    elif head_hash != prev_hash:
        result = VerifyResult(False, checked, last_seq, "head_mismatch", expected_hash=head_hash, found_hash=prev_hash)
    elif beyond:
        # The head was moved back with the tail deleted: only a checkpoint kept outside knows the chain was longer.
        result = VerifyResult(False, checked, last_seq + 1, "truncated", checkpoint=beyond[0].source)
    else:
        result = VerifyResult(True, checked)
    result.head_seq, result.head_hash = head_seq, head_hash
    result.checkpoints = len(checkpoints)
    return result


def _broken(result: VerifyResult, checkpoints) -> VerifyResult:
    result.head_seq, result.head_hash, _ = _head_and_last()
    result.checkpoints = len(checkpoints)
    return result
