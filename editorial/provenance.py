"""The records a public "Approved" rests on, checked against the audit events that created them.

Each revision, decision, approval and published version was written in the same transaction as an audit
event describing it. The event is in the hash chain; the row is not. So a row moved to another revision,
edited, or added without its event is found by comparing the two: verification names each such row.
The database refuses to change these rows (editorial.protection), so a difference means someone went
around it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from articles.models import PublishedVersion, Reference, Revision
from reviewers.models import Decision, RevisionApproval

from .models import AuditEvent

DECISION_ACTIONS = ("decision.approve", "decision.request_changes", "decision.reject")
BATCH = 2000


@dataclass(frozen=True)
class RecordProblem:
    record: str  # e.g. "reviewers.decision"
    id: int
    problem: str
    event: int | None = None  # the seq of the event it was compared with

    def as_dict(self) -> dict:
        return {"record": self.record, "id": self.id, "problem": self.problem, "event": self.event}


def _events(actions) -> list[dict]:
    return list(
        AuditEvent.objects.filter(action__in=actions)
        .order_by("seq")
        .values("seq", "action", "object_id", "article_id", "after")
    )


def _by_object(actions) -> dict[str, dict]:
    return {event["object_id"]: event for event in _events(actions)}


def _compare(problems: list, record: str, pk: int, event: dict, pairs: dict) -> None:
    """Name each field whose row value differs from what the event recorded."""
    differing = [name for name, (row, recorded) in pairs.items() if row != recorded]
    if differing:
        problems.append(
            RecordProblem(record, pk, "differs from its creation event in " + ", ".join(differing), event["seq"])
        )


def _revisions(problems: list) -> None:
    made = _by_object(["revision.create"])
    first = {str(e["article_id"]): e for e in _events(["article.create"])}  # revision 1 is made with its article
    revisions = Revision.objects.select_related("article").prefetch_related(
        Prefetch("references", queryset=Reference.objects.order_by("number"))
    )
    for revision in revisions.order_by("pk").iterator(chunk_size=BATCH):
        event = made.get(str(revision.pk)) or (first.get(str(revision.article_id)) if revision.number == 1 else None)
        if event is None:
            problems.append(RecordProblem("articles.revision", revision.pk, "no audit event created it"))
            continue
        after = event["after"] or {}
        _compare(
            problems,
            "articles.revision",
            revision.pk,
            event,
            {
                "article": (revision.article_id, event["article_id"]),
                "number": (revision.number, after.get("revision")),
                "content_hash": (revision.content_hash, after.get("content_hash")),
            },
        )
        if revision.compute_content_hash() != revision.content_hash:
            problems.append(
                RecordProblem("articles.revision", revision.pk, "its content no longer has its hash", event["seq"])
            )


def _decisions(problems: list) -> None:
    made = _by_object(DECISION_ACTIONS)
    for decision in Decision.objects.select_related("revision").order_by("pk").iterator(chunk_size=BATCH):
        event = made.get(str(decision.pk))
        if event is None:
            problems.append(RecordProblem("reviewers.decision", decision.pk, "no audit event created it"))
            continue
        after = event["after"] or {}
        _compare(
            problems,
            "reviewers.decision",
            decision.pk,
            event,
            {
                "article": (decision.article_id, event["article_id"]),
                "verdict": (f"decision.{decision.verdict}", event["action"]),
                "revision": (decision.revision.number, after.get("revision")),
                "revision_hash": (decision.revision_hash, after.get("revision_hash")),
                "signed_name": (decision.signed_name, after.get("signed_name")),
                "signed_at": (decision.signed_at.isoformat(), after.get("signed_at")),
                "meaning": (decision.meaning, after.get("meaning")),
            },
        )
        if decision.revision_hash != decision.revision.content_hash:
            problems.append(
                RecordProblem(
                    "reviewers.decision", decision.pk, "its signature is not on its revision's content", event["seq"]
                )
            )


def _approvals(problems: list) -> None:
    events = _events(["article.approve"])
    by_approval = {e["after"]["approval"]: e for e in events if (e["after"] or {}).get("approval") is not None}
    approvals = RevisionApproval.objects.select_related("revision").prefetch_related(
        Prefetch("decisions", queryset=Decision.objects.only("pk"))
    )
    for approval in approvals.order_by("pk").iterator(chunk_size=BATCH):
        event = by_approval.get(approval.pk)
        if event is None:
            problems.append(RecordProblem("reviewers.revisionapproval", approval.pk, "no audit event created it"))
            continue
        after = event["after"]
        _compare(
            problems,
            "reviewers.revisionapproval",
            approval.pk,
            event,
            {
                "article": (approval.article_id, event["article_id"]),
                "revision": (approval.revision.number, after.get("revision")),
                "round": (approval.round, after.get("round")),
                "decisions": (sorted(d.pk for d in approval.decisions.all()), sorted(after.get("decisions") or [])),
            },
        )


def _versions(problems: list) -> None:
    made = _by_object(["version.publish"])
    for version in PublishedVersion.objects.select_related("revision").order_by("pk").iterator(chunk_size=BATCH):
        event = made.get(str(version.pk))
        if event is None:
            problems.append(RecordProblem("articles.publishedversion", version.pk, "no audit event created it"))
            continue
        after = event["after"] or {}
        _compare(
            problems,
            "articles.publishedversion",
            version.pk,
            event,
            {
                "article": (version.article_id, event["article_id"]),
                "number": (version.number, after.get("live_version")),
                "revision": (version.revision.number, after.get("revision")),
                "content_hash": (version.revision.content_hash, after.get("content_hash")),
            },
        )


def verify_records() -> list[RecordProblem]:
    """Every revision, decision, approval and published version that does not match its creation event."""
    problems: list[RecordProblem] = []
    for check in (_revisions, _decisions, _approvals, _versions):
        check(problems)
    return problems
