"""Signed checkpoints of the audit chain head, kept outside the database.

A hash chain alone cannot catch whoever may rewrite the whole table: they recompute every hash and move the
head. A checkpoint is the head (sequence number, hash, time) written to a folder outside the database
(AUDIT_CHECKPOINT_DIR) and signed with HMAC-SHA256 under AUDIT_CHECKPOINT_KEY, which the database does not
hold. Verification checks the chain against every checkpoint: an event a checkpoint vouches for that is
missing or different breaks the chain, however well the rows left hash among themselves. An auditor can
also keep a checkpoint of their own (`audit_checkpoint --print`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import AuditChainHead, AuditEvent, canonical_json


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    signature: str
    source: str = ""  # the file it was read from, or where it was given

    def payload(self) -> dict:
        return {"seq": self.seq, "hash": self.hash, "at": self.at}

    def as_dict(self) -> dict:
        return {**self.payload(), "hmac": self.signature}

    @property
    def signed_correctly(self) -> bool:
        return hmac.compare_digest(self.signature, sign(self.payload()))


def checkpoint_key() -> bytes:
    """AUDIT_CHECKPOINT_KEY; without it, a key derived from SECRET_KEY (set a key of its own in production,
    kept away from the database and from whoever administers it)."""
    key = settings.AUDIT_CHECKPOINT_KEY
    if key:
        return key.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"editorial audit checkpoint", hashlib.sha256).digest()


def sign(payload: dict) -> str:
    return hmac.new(checkpoint_key(), canonical_json(payload).encode(), hashlib.sha256).hexdigest()


def checkpoint_dir() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def current_head() -> Checkpoint:
    """The chain's head now, signed; the head row is checked against the event it names."""
    head = AuditChainHead.objects.get(pk=1)
    if head.seq:
        stored = AuditEvent.objects.filter(seq=head.seq).values_list("hash", flat=True).first()
        if stored != head.hash:
            raise RuntimeError(f"The chain head names event #{head.seq}, which does not match it: verify the chain.")
    at = timezone.now().astimezone(datetime.UTC).isoformat(timespec="microseconds")
    payload = {"seq": head.seq, "hash": head.hash, "at": at}
    return Checkpoint(head.seq, head.hash, at, sign(payload))


def write_checkpoint(directory: Path | None = None) -> tuple[Checkpoint, Path]:
    """Sign the head and write it as a new file (written whole, then renamed: never half a file)."""
    checkpoint = current_head()
    directory = directory or checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = checkpoint.at.replace(":", "").replace("-", "").replace(".", "").replace("+0000", "Z")
    path = directory / f"checkpoint-{checkpoint.seq:012d}-{stamp}.json"
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".checkpoint-", suffix=".tmp")
    with os.fdopen(descriptor, "w") as file:
        file.write(json.dumps(checkpoint.as_dict(), sort_keys=True) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return checkpoint, path


def parse(text: str, source: str = "") -> Checkpoint:
    """A checkpoint from its JSON; ValueError when it is not one."""
    data = json.loads(text)
    try:
        return Checkpoint(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["hmac"]), source)
    except (KeyError, TypeError) as error:
        raise ValueError(f"{source or 'checkpoint'}: not a checkpoint ({error})") from error


def load_checkpoints(directory: Path | None = None) -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint file in the folder, in sequence order, and the files that could not be read."""
    directory = directory or checkpoint_dir()
    checkpoints, unreadable = [], []
    if not directory.is_dir():
        return checkpoints, unreadable
    for path in sorted(directory.glob("checkpoint-*.json")):
        try:
            checkpoints.append(parse(path.read_text(), path.name))
        except ValueError:
            unreadable.append(path.name)
    checkpoints.sort(key=lambda c: (c.seq, c.source))
    return checkpoints, unreadable
