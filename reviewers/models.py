"""The Medical Advisory Board: member profiles, conflict declarations, assignments and signed decisions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from articles.models import IN_REVIEW_STATES, Article, ImmutableModel, Revision


class BoardMember(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="board_profile")
    display_name = models.CharField(max_length=200, help_text='Name with credentials, e.g. "Jane Roe, MD".')
    specialties = models.JSONField(default=list, blank=True)
    credentials_valid_until = models.DateField(null=True, blank=True, help_text="Empty: no expiry on file.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def credentials_valid(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.now().date()
        return self.credentials_valid_until is None or self.credentials_valid_until >= on


class ConflictDeclaration(ImmutableModel):
    """A member's conflict-of-interest declaration for an article; the newest one is in force."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="conflict_declarations")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conflict_declarations")
    has_conflict = models.BooleanField()
    statement = models.TextField(blank=True)
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article_id", "member_id", "declared_at", "id"]
        indexes = [models.Index(fields=["article", "member", "-declared_at"])]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.article_id}: {'conflict' if self.has_conflict else 'none'}"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


# An assignment counts (the member reviews the article) until the member declines it.
ACTIVE_ASSIGNMENT_STATUSES = (AssignmentStatus.ASSIGNED, AssignmentStatus.ACCEPTED)


class AssignmentQuerySet(models.QuerySet):
    def active(self) -> AssignmentQuerySet:
        """Assignments the member has not declined."""
        return self.filter(status__in=ACTIVE_ASSIGNMENT_STATUSES)

    def pending(self) -> AssignmentQuerySet:
        """Active assignments on articles under review whose member has not decided in the current round."""
        decided = Decision.objects.filter(article=OuterRef("article"), reviewer=OuterRef("reviewer")).current_round()
        return self.active().filter(article__state__in=IN_REVIEW_STATES).exclude(Exists(decided))

    def with_decided(self) -> AssignmentQuerySet:
        """Each assignment annotated with `decided`: its member decided in the article's current round."""
        decided = Decision.objects.filter(article=OuterRef("article"), reviewer=OuterRef("reviewer")).current_round()
        return self.annotate(decided=Exists(decided))


class Assignment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["article_id", "assigned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["article", "reviewer"], name="one_assignment_per_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} reviews {self.article_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ASSIGNMENT_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.due is not None and self.due < timezone.now().date()


class Verdict(models.TextChoices):
    APPROVE = "approve", "Approved for medical accuracy"
    REQUEST_CHANGES = "request_changes", "Changes requested"
    REJECT = "reject", "Rejected"


# Decisions that withdraw an approval given in an earlier round.
REFUSAL_VERDICTS = (Verdict.REQUEST_CHANGES, Verdict.REJECT)


class DecisionQuerySet(models.QuerySet):
    def current_round(self) -> DecisionQuerySet:
        """Decisions that count as "already decided": on the article's current revision, in its current round
        (`Decision.in_current_round` is the same rule for a decision already read)."""
        return self.filter(revision_id=F("article__current_revision_id"), round=F("article__review_round"))


class Decision(ImmutableModel):
    """A board member's signed decision on one revision (21 CFR 11.50: printed name, time, meaning)."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="decisions")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="decisions")
    conflict_declaration = models.ForeignKey(ConflictDeclaration, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=100)
    # The signature is bound to the exact content it signed (21 CFR 11.70).
    revision_hash = models.CharField(max_length=64)
    specialties = models.JSONField(default=list)
    # The article's review round when signed: a periodic re-review asks again on the same revision.
    round = models.PositiveSmallIntegerField(default=1)

    objects = DecisionQuerySet.as_manager()

    def in_current_round(self, article: Article) -> bool:
        """`DecisionQuerySet.current_round()`'s rule, for a decision already read with its article at hand."""
        return self.revision_id == article.current_revision_id and self.round == article.review_round

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "reviewer", "round"], name="one_decision_per_revision_round")
        ]

    def __str__(self) -> str:
        return f"{self.signed_name}, {self.signed_at:%Y-%m-%d %H:%M:%S} UTC, {self.meaning}"

    @property
    def signature_line(self) -> str:
        """The signature wherever it is shown (21 CFR 11.50, 11.70): printed name, UTC time, meaning, and
        exactly what was signed (load the revision with the decision)."""
        return f"{self} — revision {self.revision.number}, SHA-256 {self.revision_hash}"


class ReviewStatus(models.TextChoices):
    """What a published version's revision is, now: the review stepper's steps."""

    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under Review"
    APPROVED = "approved", "Approved"


class AnnotationKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    SUGGESTION = "suggestion", "Suggestion"
    CITATION_NEEDED = "citation_needed", "Citation needed"
    SAFETY = "safety", "Safety concern"
    CHECK = "check", "Automated check"


class AnnotationStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class AnnotationQuerySet(models.QuerySet):
    def open_blocking(self) -> AnnotationQuerySet:
        """Blocking annotations not yet resolved, orphaned or not: losing the text does not lift a concern."""
        return self.filter(status=AnnotationStatus.OPEN, blocking=True)


class Annotation(models.Model):
    """A board member's or editor's note on a passage of a revision, with its thread."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="annotations")
    created_on_revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=AnnotationKind.choices)
    body = models.TextField()
    suggestion = models.TextField(blank=True, help_text="Proposed replacement text, for suggestions.")
    # The text as the reviewer quoted it; re-anchoring never strays further from it than the fuzzy bound.
    quote = models.TextField(default="")
    # Safety concerns always block approval; any other annotation may be marked blocking.
    blocking = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=AnnotationStatus.choices, default=AnnotationStatus.OPEN)
    # None for an automated check: the system raised it, no person did.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # An automated check: the rule that raised it (reviewers.checks.RULES), the finding's key (stable across
    # revisions) and the sentence it stood in, so that a resolved check is raised again only if that changed.
    rule = models.CharField(max_length=40, blank=True)
    check_key = models.CharField(max_length=500, blank=True)
    check_sentence = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The revision that accepting this suggestion made.
    accepted_revision = models.ForeignKey(Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["article", "status", "blocking"]),
            models.Index(fields=["article", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class AnchorMethod(models.TextChoices):
    ORIGINAL = "original", "Where it was made"
    EXACT = "exact", "Exact quote carried over"
    FUZZY = "fuzzy", "Fuzzy match within the bound"
    ORPHANED = "orphaned", "Its text is gone"


class AnnotationAnchor(models.Model):
    """Where an annotation stands on one revision; an orphan keeps the selectors it last had."""

    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="anchors")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="annotation_anchors")
    exact = models.TextField()
    prefix = models.TextField(blank=True)
    suffix = models.TextField(blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    method = models.CharField(max_length=20, choices=AnchorMethod.choices)
    # The revision whose text the positions count in: the anchor's own, or for an orphan the one it last stood on.
    positions_revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+", null=True)
    distance = models.PositiveIntegerField(default=0, help_text="Edit distance from the quote, for fuzzy matches.")

    class Meta:
        ordering = ["revision_id", "start", "annotation_id"]
        constraints = [models.UniqueConstraint(fields=["annotation", "revision"], name="one_anchor_per_revision")]

    def __str__(self) -> str:
        return f"#{self.annotation_id} on r{self.revision_id} ({self.method})"

    @classmethod
    def for_anchor(
        cls, annotation, revision: Revision, anchor, method: str, distance: int = 0, positions_revision=None
    ) -> AnnotationAnchor:
        """The (unsaved) row placing `annotation` on `revision` at `anchor` (a reviewers.anchoring.Anchor)."""
        return cls(
            annotation=annotation,
            revision=revision,
            exact=anchor.exact,
            prefix=anchor.prefix,
            suffix=anchor.suffix,
            start=anchor.start,
            end=anchor.end,
            method=method,
            distance=distance,
            positions_revision=positions_revision or revision,
        )

    @property
    def orphaned(self) -> bool:
        return self.method == AnchorMethod.ORPHANED

    @property
    def display_status(self) -> str:
        """open, resolved or orphaned: how the annotation stands on this anchor's revision."""
        if self.annotation.status == AnnotationStatus.RESOLVED:
            return AnnotationStatus.RESOLVED
        return AnchorMethod.ORPHANED if self.orphaned else AnnotationStatus.OPEN


class AnnotationReply(ImmutableModel):
    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"reply to #{self.annotation_id}"


class RevisionApproval(ImmutableModel):
    """The moment a revision reached its quorum: the record a published version's status is read from."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="approvals")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="approvals")
    round = models.PositiveSmallIntegerField()
    approved_at = models.DateTimeField()
    approvers = models.JSONField(default=list, help_text="Printed names with credentials, as signed.")
    decisions = models.ManyToManyField(Decision, related_name="+")

    class Meta:
        ordering = ["approved_at", "id"]
        constraints = [models.UniqueConstraint(fields=["revision", "round"], name="one_approval_per_revision_round")]

    def __str__(self) -> str:
        return f"r{self.revision_id} approved {self.approved_at:%Y-%m-%d}"


# Bounds of what a verification names, for the form and the API: a claim key (64 hex digits, "#n" for a repeat)
# and a reference number.
CLAIM_KEY_LENGTH = 80
MAX_REFERENCE_NUMBER = 10_000


class ClaimVerification(ImmutableModel):
    """A board member's word that one claim of a revision says what its source says: "verified against [n]".

    The claim is a sentence (reviewers.claims): kept here as it read, with its key (the hash of its wording)
    and where it stood. A verification carried onto a later revision, where the sentence and its source are
    unchanged, is a new row pointing at the one it was carried from.
    """

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="claim_verifications")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claim_verifications")
    claim_key = models.CharField(
        max_length=CLAIM_KEY_LENGTH, help_text="SHA-256 of the sentence, with #n for a repeat."
    )
    sentence = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    reference = models.PositiveIntegerField(help_text="The n of the [n] it was verified against.")
    is_dose = models.BooleanField(default=False)
    carried_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["revision_id", "start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "member", "claim_key"], name="one_verification_per_claim")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} verified r{self.revision_id} {self.claim_key[:8]} against [{self.reference}]"

    @property
    def carried(self) -> bool:
        """Carried over from an earlier revision, where the sentence and its source were unchanged."""
        return self.carried_from_id is not None
