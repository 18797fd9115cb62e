"""The audit trail: an append-only, hash-chained table of events, and the chain head that serialises appends."""

from __future__ import annotations

import hashlib
import json
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

GENESIS_HASH = "0" * 64
HASH_DOMAIN = b"audit-v1\x00"


# json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False), without building the encoder
# on every call; and the C function it encodes strings with.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_encode_str = json.encoder.encode_basestring


def canonical_json(value) -> str:
    """Sorted keys, compact separators, UTF-8: the same bytes on every database and Python run."""
    return _CANONICAL(value)


# What the hash covers, as stored columns (attribute names differ for foreign keys).
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "article_id",
    "before",
    "after",
    "reason",
    "prev_hash",
)


def canonical_scalar(value) -> str:
    """canonical_json of one column's value, the common types without the encoder's set-up."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    return _CANONICAL(value)


# canonical_json of the hashed fields but prev_hash, keys in sorted order, with each value in its canonical form.
_FORM = (
    '{"action":%s,"actor_id":%s,"actor_name":%s,"after":%s,"article_id":%s,"at":%s,"before":%s,'
    '"object_id":%s,"object_type":%s,"reason":%s,"seq":%s}'
)


def hash_of_form(
    prev_hash: str, seq, at: str, actor_id, actor_name, action, object_type, object_id, article_id, before, after, why
) -> str:
    """The event's hash from its fields in HASHED_FIELDS order: `at` as ISO 8601 to the microsecond, `before`
    and `after` already as canonical JSON, the rest as stored (`why` is the reason).

    The bytes are those of canonical_json over the fields, written out directly: the verifier calls this once
    an event, and the encoder's set-up for a dict would cost more than the rest. Strings, the common case,
    skip even canonical_scalar.
    """
    s, c = _encode_str, canonical_scalar
    body = _FORM % (
        s(action) if type(action) is str else c(action),
        c(actor_id),
        s(actor_name) if type(actor_name) is str else c(actor_name),
        after,
        c(article_id),
        s(at),
        before,
        s(object_id) if type(object_id) is str else c(object_id),
        s(object_type) if type(object_type) is str else c(object_type),
        s(why) if type(why) is str else c(why),
        int.__repr__(seq) if type(seq) is int else c(seq),
    )
    return hashlib.sha256(HASH_DOMAIN + prev_hash.encode() + body.encode()).hexdigest()


def event_hash(fields: dict) -> str:
    """SHA-256 over a domain tag, the previous hash and the event's canonical JSON (all HASHED_FIELDS but
    `prev_hash`, with `at` in ISO 8601 to the microsecond)."""
    return hash_of_form(
        fields["prev_hash"],
        fields["seq"],
        fields["at"].isoformat(timespec="microseconds"),
        fields["actor_id"],
        fields["actor_name"],
        fields["action"],
        fields["object_type"],
        fields["object_id"],
        fields["article_id"],
        _CANONICAL(fields["before"]),
        _CANONICAL(fields["after"]),
        fields["reason"],
    )


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


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    DEAD = "dead", "Gave up"


class OutboxMessage(models.Model):
    """Work to do, written in the same transaction as the change that causes it (editorial.outbox).

    It stays pending until a handler has finished it; the sweeper sends again what was not done in time.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Times the sweeper sent it again.")
    deliveries = models.PositiveIntegerField(default=0, help_text="Times a worker started it.")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker.")
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A worker's lease on it.")
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key} ({self.status})"


class NotificationKind(models.TextChoices):
    SUBMITTED = "submitted", "Article submitted"
    ASSIGNED = "assigned", "Review assigned"
    ANNOTATION = "annotation", "New annotation or reply"
    DECISION = "decision", "Board decision"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Article approved"
    PUBLISHED = "published", "Version published"
    RETRACTED = "retracted", "Version retracted"
    OVERDUE = "overdue", "Review overdue"
    CONFLICT = "conflict", "Conflict of interest declared"
    REREVIEW = "rereview", "Periodic re-review due"
    READER_REPORT = "reader_report", "Reader report or question"
    ACCOUNT = "account", "Account locked or deactivated"
    DRAFT_REQUEST = "draft_request", "A new answer to draft"
    SOURCE_RETRACTED = "source_retracted", "A cited source was retracted"


# Kinds a user may not switch off: they carry a duty (a review to do, a safety-relevant change).
REQUIRED_KINDS = {
    NotificationKind.ASSIGNED,
    NotificationKind.OVERDUE,
    NotificationKind.RETRACTED,
    NotificationKind.REREVIEW,
    NotificationKind.ACCOUNT,
    NotificationKind.DRAFT_REQUEST,
    NotificationKind.SOURCE_RETRACTED,
}


class EmailMode(models.TextChoices):
    """How a user gets a kind of notification by email; a notification keeps the mode it was made with."""

    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"
    OFF = "off", "Off"


class Notification(models.Model):
    """One message to one user about one event; the unique key makes redelivery harmless."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    event_key = models.CharField(max_length=200)
    article_id = models.BigIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The email mode it was made with (a digest waits for the daily digest); emailed_at once sent.
    email_mode = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    # Set while one worker sends the email, so that no other sends it at the same time.
    email_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_key", "recipient"], name="one_notification_per_event_recipient")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"


class NotificationPreference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    mode = models.CharField(max_length=10, choices=EmailMode.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.mode}"


class ReaderReportKind(models.TextChoices):
    PROBLEM = "problem", "Report a problem"
    QUESTION = "question", "Follow-up question"


class ReaderReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    REVISION_OPENED = "revision_opened", "Revision opened"
    DRAFT_REQUESTED = "draft_requested", "New answer requested"
    CLOSED = "closed", "Closed"


class ReaderReport(models.Model):
    """A reader's problem report or follow-up question on a published version, tracked to an outcome."""

    article = models.ForeignKey("articles.Article", on_delete=models.PROTECT, related_name="reader_reports")
    version = models.ForeignKey("articles.PublishedVersion", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ReaderReportKind.choices)
    message = models.TextField()
    email = models.EmailField(blank=True, help_text="Optional: where to send the answer.")
    audience = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=ReaderReportStatus.choices, default=ReaderReportStatus.OPEN)
    response = models.TextField(blank=True, help_text="The answer, or the reason for closing.")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.article_id}"


class DraftRequest(models.Model):
    """A reader's follow-up question turned into work: a new answer for an author to draft. When the answer is
    first published, the reader who left an address is told, once (`reader_told_at`)."""

    report = models.OneToOneField(ReaderReport, on_delete=models.PROTECT, related_name="draft_request")
    asked_on = models.ForeignKey("articles.Article", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="draft_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    article = models.OneToOneField(
        "articles.Article", on_delete=models.PROTECT, null=True, blank=True, related_name="draft_request"
    )
    reader_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return self.title


class SigningAttempts(models.Model):
    """A board member's consecutive failed signatures; `locked_until` set when they reach the limit.

    21 CFR 11.300(d): attempts at unauthorised use are detected and reported. A success resets the count.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_attempts")
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.failures} failed signature(s)"

    def locked(self, now) -> bool:
        return self.locked_until is not None and self.locked_until > now


class ReferenceRetraction(models.Model):
    """A retracted work on the retraction list, by DOI or by PMID (one of them; stored normalised)."""

    doi = models.CharField(max_length=255, blank=True, db_index=True)
    pmid = models.CharField(max_length=20, blank=True, db_index=True)
    note = models.TextField()
    # None: imported from the shell (import_retractions), by whoever runs the server.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Exactly one identifier: a row with both would match works that are not the retracted one.
            models.CheckConstraint(
                condition=(models.Q(doi="") & ~models.Q(pmid="")) | (~models.Q(doi="") & models.Q(pmid="")),
                name="retraction_doi_xor_pmid",
            ),
            models.UniqueConstraint(fields=["doi"], condition=~models.Q(doi=""), name="retraction_doi_once"),
            models.UniqueConstraint(fields=["pmid"], condition=~models.Q(pmid=""), name="retraction_pmid_once"),
        ]

    def __str__(self) -> str:
        return self.identifier

    @property
    def identifier(self) -> str:
        """As reviewers.checks reads retracted identifiers: "doi:10.1000/xyz" or "pmid:12345"."""
        return f"doi:{self.doi}" if self.doi else f"pmid:{self.pmid}"
