"""The whole audit check: the hash chain against the signed checkpoints, and the records against their events."""

from __future__ import annotations

from . import checkpoints as checkpoint_files
from .audit import VerifyResult, verify_chain
from .provenance import verify_records


def verify_audit(extra_checkpoints=()) -> dict:
    """Verify everything an auditor relies on; the answer of `verify_audit` and GET /api/v1/audit/verify/.

    `extra_checkpoints`: checkpoints an auditor kept themselves (checked like those in the folder).
    """
    found, unreadable = checkpoint_files.load_checkpoints()
    found += list(extra_checkpoints)
    forged = [c for c in found if not c.signed_correctly]
    valid = [c for c in found if c.signed_correctly]
    result: VerifyResult = verify_chain(valid)
    answer = result.as_dict()
    if result.ok and (forged or unreadable):
        # A checkpoint that is not validly signed cannot vouch for anything, and someone made it.
        answer.update(ok=False, reason="checkpoint_invalid", checkpoint=(forged[0].source if forged else unreadable[0]))
    problems = verify_records()
    answer["records"] = [p.as_dict() for p in problems]
    if problems:
        answer["ok"] = False
        if answer["reason"] is None:
            answer.update(reason="record_mismatch", first_broken=problems[0].event)
    return answer
