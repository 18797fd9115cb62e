"""The audit trail: an append-only, hash-chained table of events, and the chain head that serialises appends."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64
HASH_DOMAIN = b"audit-v1\x00"


def canonical_json(value) -> str:
    """Sorted keys, compact separators, UTF-8: the same bytes on every database and Python run."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# What the hash covers, as stored columns (attribute names differ for foreign keys).
HASHED_FIELDS = ("seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "article_id",
                 "before", "after", "reason", "prev_hash")  # fmt: skip


def event_hash(fields: dict) -> str:
    """SHA-256 over a domain tag, the previous hash and the event's canonical JSON."""
    body = {k: v for k, v in fields.items() if k != "prev_hash"}
    body["at"] = fields["at"].isoformat(timespec="microseconds")
    payload = HASH_DOMAIN + fields["prev_hash"].encode() + canonical_json(body).encode()
    return hashlib.sha256(payload).hexdigest()


class AuditEvent(models.Model):
    """One change, written in the same transaction as the change; never updated or deleted.

    Database triggers (migration 0002) refuse UPDATE and DELETE on both SQLite and PostgreSQL.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    article_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        permissions = [("verify_auditevent", "Can verify the audit chain")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only")

    def compute_hash(self) -> str:
        return event_hash({name: getattr(self, name) for name in HASHED_FIELDS})


class AuditChainHead(models.Model):
    """A single row holding the last sequence number and hash; locking it serialises appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"head #{self.seq}"
