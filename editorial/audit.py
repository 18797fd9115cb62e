"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from dataclasses import dataclass

from django.db import connection
from django.db.models import Subquery
from django.utils import timezone

from . import page_versions
from .models import GENESIS_HASH, HASHED_FIELDS, AuditChainHead, AuditEvent, canonical_json, hash_of_form


def actor_display_name(actor) -> str:
    if actor is None:
        return ""
    profile = getattr(actor, "board_profile", None) if hasattr(actor, "board_profile") else None
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return (profile.display_name if profile else "") or full or actor.get_username()


# The stored columns of an event, in the order the statements here read and write them.
_STORED = (*HASHED_FIELDS, "hash")


def _ensure_chain_head() -> None:
    AuditChainHead.objects.get_or_create(pk=1)


# The head this thread last appended to: the next append expects it, and usually finds it (see record_event).
_last_head = threading.local()


@functools.cache
def _append_statement(vendor: str) -> str:
    """PostgreSQL: lock the head, insert the event if the head is the one it continues, and say what the head
    was, in one statement. SQLite: the plain INSERT (the IMMEDIATE transaction already holds the write lock)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    fields = [AuditEvent._meta.get_field(name) for name in _STORED]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    head = connection.ops.quote_name(AuditChainHead._meta.db_table)
    if vendor != "postgresql":
        return f"INSERT INTO {table} ({columns}) VALUES ({', '.join('%s' for _ in fields)})"
    # Typed, since the values are selected rather than VALUES of the columns (a NULL would be text).
    values = ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields)
    return (
        f"WITH head AS (SELECT seq, hash FROM {head} WHERE id = 1 FOR NO KEY UPDATE), "
        f"appended AS (INSERT INTO {table} ({columns}) SELECT {values} FROM head "
        f"WHERE head.seq = %s AND head.hash = %s RETURNING id) "
        f"SELECT head.seq, head.hash, (SELECT id FROM appended) FROM head"
    )


def _insert_params(event: AuditEvent) -> list:
    return [
        field.get_db_prep_save(getattr(event, field.attname), connection)
        for field in (AuditEvent._meta.get_field(name) for name in _STORED)
    ]


def _chain(event: AuditEvent, seq: int, prev_hash: str) -> list:
    event.seq, event.prev_hash = seq + 1, prev_hash
    event.hash = event.compute_hash()
    return _insert_params(event)


def _append_postgresql(event: AuditEvent, cursor) -> None:
    # Expect the head this thread last appended to (in a transaction of several events, the one just
    # appended). The statement takes the head's lock whatever it finds; when the head is not the one expected
    # (another process appended since, or the transaction that appended was rolled back), nothing is
    # inserted, and the event is chained to the head it found (which the lock now holds still) and the
    # statement run again: two statements, as many as a lock and an INSERT.
    seq, prev_hash = getattr(_last_head, "value", (0, GENESIS_HASH))
    for _ in range(3):
        cursor.execute(_append_statement("postgresql"), [*_chain(event, seq, prev_hash), seq, prev_hash])
        row = cursor.fetchone()
        if row is None:  # no head row yet
            _ensure_chain_head()
            seq, prev_hash = 0, GENESIS_HASH
            continue
        if row[2] is not None:
            event.pk = row[2]
            return
        seq, prev_hash = row[0], row[1]
    raise RuntimeError("the audit chain head moved while its lock was held")


def _append_sqlite(event: AuditEvent, cursor) -> None:
    head = AuditChainHead._meta.db_table
    cursor.execute(f"SELECT seq, hash FROM {connection.ops.quote_name(head)} WHERE id = 1")
    row = cursor.fetchone()
    if row is None:
        _ensure_chain_head()
        row = (0, GENESIS_HASH)
    cursor.execute(_append_statement(connection.vendor), _chain(event, row[0], row[1]))
    event.pk = cursor.lastrowid


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
    """Append one event to the chain. Must run inside the transaction of the change it records.

    On PostgreSQL the head's row lock serialises appenders; on SQLite the IMMEDIATE transaction holds the
    database's write lock. Either way the lock is held to the end of the caller's transaction. On PostgreSQL
    an append is one statement when the head is the one this thread last appended to, two when not. The
    database's triggers (editorial.protection) check that the event continues the chain and move the head to
    it, so nothing else may move the head. The INSERT is written directly, not through Model.save (which
    AuditEvent refuses for a stored row anyway): the returned event is the stored row.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_event() must run inside the transaction of the change it records")
    event = AuditEvent(
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
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _append_postgresql(event, cursor)
        else:
            _append_sqlite(event, cursor)
    event._state.adding, event._state.db = False, connection.alias
    _last_head.value = (event.seq, event.hash)
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


@functools.cache
def _verify_statement(vendor: str) -> str:
    """Each event's hashed fields in their canonical form as far as the database can give it: `at` already in
    ISO 8601 on PostgreSQL, `before` and `after` as JSON text (the verifier parses and re-encodes them)."""
    quote = connection.ops.quote_name
    columns = {name: quote(AuditEvent._meta.get_field(name).column) for name in _STORED}
    if vendor == "postgresql":
        columns["at"] = f"""to_char({columns["at"]} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
        columns["before"] = f"{columns['before']}::text"
        columns["after"] = f"{columns['after']}::text"
    select = ", ".join(columns[name] for name in _STORED)
    table, seq = quote(AuditEvent._meta.db_table), columns["seq"]
    # Bounded on both sides: a gapless chain fills the range, and the planner takes the index on seq even
    # before the table's statistics know how many events there are (with one bound it may sort the table).
    return f"SELECT {select} FROM {table} WHERE {seq} >= %s AND {seq} < %s ORDER BY {seq} LIMIT %s"


_raw_decode = json.JSONDecoder().raw_decode
# The C encoder json.dumps builds on every call, built once, without the check for circular references (a
# value parsed from JSON has none): the same bytes as canonical_json, in a third of the time.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:
    _encode_parsed = _c_make_encoder(None, None, json.encoder.encode_basestring, None, ":", ",", True, False, True)

    def _canonical_parsed(value) -> str:
        return "".join(_encode_parsed(value, 0))

else:  # pragma: no cover - a Python without the json module's C accelerator
    _canonical_parsed = canonical_json


def _json_form(text) -> str:
    """A JSON column as read, in canonical form: what canonical_json gives for the value Django would load."""
    if text is None:
        return "null"
    if type(text) is not str:
        return canonical_json(text)
    try:
        value, end = _raw_decode(text)
        if end != len(text):
            value = json.loads(text)  # whitespace after the value, or more than one value
    except json.JSONDecodeError:
        try:
            value = json.loads(text)  # whitespace before the value, or not JSON at all
        except json.JSONDecodeError:
            return canonical_json(text)  # Django hands back text it cannot parse as it is
    return _canonical_parsed(value)


def _sqlite_at_form(text) -> str:
    """`at` as SQLite stores it ('YYYY-MM-DD HH:MM:SS.ffffff', UTC), in the ISO form the hash covers."""
    if type(text) is str and len(text) == 26 and text[10] == " " and text[19] == ".":
        return f"{text[:10]}T{text[11:]}+00:00"
    # Anything else (no microseconds, an offset): read as Django reads it.
    value = connection.ops.convert_datetimefield_value(text, None, connection)
    return value.isoformat(timespec="microseconds") if value is not None else repr(text)


_BEYOND_ANY_SEQ = 2**63 - 1


def _read_batches(statement: str, start: int, batch_size: int):
    """The events from sequence number `start` on, in batches; it ends at the first empty read (the end of the
    chain as far as it went then). A range with no event at all (a gap as long as a batch) is read on to
    whatever comes next.

    On PostgreSQL the next batch is asked for before this one is handed over (pipeline mode), so the database
    reads it while the caller hashes this one: about 1.5 times as fast as asking in turn.
    """

    def ask(cursor, first: int) -> None:
        cursor.execute(statement, [first, first + batch_size, batch_size])

    def rows(cursor, first: int) -> list:
        found = cursor.fetchall()
        if not found:
            cursor.execute(statement, [first, _BEYOND_ANY_SEQ, batch_size])
            found = cursor.fetchall()
        return found

    if connection.vendor != "postgresql":
        while True:
            with connection.cursor() as cursor:
                ask(cursor, start)
                batch = rows(cursor, start)
            if not batch:
                return
            yield batch
            start = batch[-1][0] + 1
    connection.ensure_connection()
    with connection.connection.pipeline(), connection.cursor() as current, connection.cursor() as ahead:
        ask(ahead, start)
        while True:
            current, ahead = ahead, current
            batch = rows(current, start)
            if not batch:
                return
            start = batch[-1][0] + 1
            ask(ahead, start)
            yield batch


def _check_batch(batch, expected_seq: int, prev_hash: str, checked: int, vouched: dict, at_is_iso: bool):
    """Check a batch of events continuing the walk: (expected_seq, prev_hash, checked, the break or None)."""
    for (
        seq,
        at,
        actor_id,
        actor_name,
        action,
        object_type,
        object_id,
        article_id,
        before,
        after,
        reason,
        prev,
        stored,
    ) in batch:
        if seq != expected_seq:
            # A missing row: the event that should stand at expected_seq is gone.
            return expected_seq, prev_hash, checked, VerifyResult(False, checked, expected_seq, "seq_gap")
        if prev != prev_hash:
            broken = VerifyResult(False, checked, seq, "prev_hash_mismatch", expected_hash=prev_hash, found_hash=prev)
            return expected_seq, prev_hash, checked, broken
        computed = hash_of_form(
            prev,
            seq,
            at if at_is_iso else _sqlite_at_form(at),
            actor_id,
            actor_name,
            action,
            object_type,
            object_id,
            article_id,
            _json_form(before),
            _json_form(after),
            reason,
        )
        if computed != stored:
            broken = VerifyResult(False, checked, seq, "hash_mismatch", expected_hash=computed, found_hash=stored)
            return expected_seq, prev_hash, checked, broken
        if seq in vouched:
            for checkpoint in vouched[seq]:
                if checkpoint.hash != stored:
                    broken = VerifyResult(
                        False,
                        checked,
                        seq,
                        "checkpoint_mismatch",
                        expected_hash=checkpoint.hash,
                        found_hash=stored,
                        checkpoint=checkpoint.source,
                    )
                    return expected_seq, prev_hash, checked, broken
        checked += 1
        prev_hash = stored
        expected_seq += 1
    return expected_seq, prev_hash, checked, None


def verify_chain(checkpoints=(), batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in `seq` order and report the first event that does not hold.

    Per event: the sequence has no gap, `prev_hash` is the previous event's hash, the stored hash is the
    hash of the stored fields, and the hash is the one every checkpoint at that sequence number vouches for.
    Then the head row must match the last event (a deleted tail, an appended forgery), and no checkpoint
    may lie beyond the chain (a truncated chain whose head was moved back). `checkpoints` are
    editorial.checkpoints.Checkpoint objects whose signatures the caller has checked.

    No transaction (on SQLite an IMMEDIATE one would hold the write lock for the whole walk): the events
    are read in batches by sequence number, which events appended meanwhile cannot disturb, and the walk
    ends on a statement that reads the head and the last event together. The rows are read as plain tuples
    and hashed through hash_of_form, with no model instance or dict per event.
    """
    vouched: dict[int, list] = {}
    for checkpoint in checkpoints:
        vouched.setdefault(checkpoint.seq, []).append(checkpoint)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    statement = _verify_statement(connection.vendor)
    at_is_iso = connection.vendor == "postgresql"
    while True:
        broken = None
        with contextlib.closing(_read_batches(statement, expected_seq, batch_size)) as batches:
            for batch in batches:
                expected_seq, prev_hash, checked, broken = _check_batch(
                    batch, expected_seq, prev_hash, checked, vouched, at_is_iso
                )
                if broken is not None:
                    break
        if broken is not None:
            return _broken(broken, checkpoints)
        head_seq, head_hash, last = _head_and_last()
        if last < expected_seq:
            break
        # Appended while the walk ended: walk on.
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
