"""Articles, their immutable revisions and references, and the review lifecycle."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .rendering import RenderedBody, render_body


class ArticleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Groups of states, each defined once and used by every rule that needs it.
# The content may be edited (a PATCH makes a new revision).
EDITABLE_STATES = (ArticleState.DRAFT, ArticleState.CHANGES_REQUESTED)
# The board is reviewing: a decision is awaited from every active assignment.
IN_REVIEW_STATES = (ArticleState.SUBMITTED, ArticleState.UNDER_REVIEW)
# Reviewers may be assigned (and count towards a member's open load).
OPEN_STATES = (
    ArticleState.DRAFT,
    ArticleState.SUBMITTED,
    ArticleState.UNDER_REVIEW,
    ArticleState.CHANGES_REQUESTED,
)
# Board members and editors may annotate.
ANNOTATABLE_STATES = (ArticleState.SUBMITTED, ArticleState.UNDER_REVIEW, ArticleState.CHANGES_REQUESTED)


class RereviewReason(models.TextChoices):
    """Why an approved article is being reviewed again (the public page says so)."""

    PERIODIC = "periodic", "Periodic re-review"
    CONCERN = "concern", "A blocking concern was reopened"
    RETRACTED_SOURCE = "retracted_source", "A cited source was retracted"


class PublicationPolicy(models.TextChoices):
    AFTER_APPROVAL = "after_approval", "Publish after approval"
    IMMEDIATE = "immediate", "Publish immediately, marked pending review"


class Article(ConcurrentTransitionMixin, models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    topic = models.SlugField(max_length=80, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_articles")
    state = FSMField(default=ArticleState.DRAFT, choices=ArticleState.choices, protected=True, db_index=True)
    current_revision = models.ForeignKey("Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quorum = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])
    required_specialties = models.JSONField(default=list, blank=True)
    publication_policy = models.CharField(
        max_length=20, choices=PublicationPolicy.choices, default=PublicationPolicy.AFTER_APPROVAL
    )
    # Set on the first submission; board members may see the article from then on.
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    # Periodic re-review: each approval starts a new round of review decisions.
    review_round = models.PositiveSmallIntegerField(default=1)
    review_interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the policy default (EDITORIAL_REVIEW_INTERVAL_DAYS)."
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    # Why the current round re-reviews an approved article; empty when the round is not a re-review.
    rereview_reason = models.CharField(max_length=20, choices=RereviewReason.choices, blank=True)
    next_review_due = models.DateField(null=True, blank=True, db_index=True)
    # A stricter review for articles where a wrong dose harms: each approver must have verified every dose
    # statement of the revision against its source ("verified against [n]") before their approval is taken.
    doses_need_verification = models.BooleanField(
        default=False, help_text="Every dose must be verified by an approver before they approve."
    )
    live_version = models.ForeignKey(
        "PublishedVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        permissions = [
            ("view_any_article", "Can see every article"),
            ("edit_any_article", "Can edit, submit, revise and withdraw any article"),
            ("start_review", "Can start the board review of a submitted article"),
            ("decide_article", "Can record a signed board decision"),
            ("publish_article", "Can publish and retract versions"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quorum__gte=1) & models.Q(quorum__lte=10), name="article_quorum_1_to_10"
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def title(self) -> str:
        return self.current_revision.title if self.current_revision_id else ""

    # Transition bodies only move the state. Who may take each one is said in one place,
    # editorial.permissions; the services check it, save, audit and queue work in one transaction.

    @transition(field=state, source=ArticleState.DRAFT, target=ArticleState.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=state, source=ArticleState.SUBMITTED, target=ArticleState.UNDER_REVIEW)
    def start_review(self) -> None:
        pass

    @transition(field=state, source=ArticleState.UNDER_REVIEW, target=ArticleState.CHANGES_REQUESTED)
    def request_changes(self) -> None:
        pass

    @transition(field=state, source=ArticleState.UNDER_REVIEW, target=ArticleState.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=ArticleState.UNDER_REVIEW, target=ArticleState.REJECTED)
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=[ArticleState.CHANGES_REQUESTED, ArticleState.APPROVED],
        target=ArticleState.DRAFT,
    )
    def revise(self) -> None:
        # Back to draft: whatever is submitted next is judged afresh, even the same revision.
        self.review_round += 1
        self.rereview_reason = ""

    @transition(
        field=state,
        source=[
            ArticleState.DRAFT,
            ArticleState.SUBMITTED,
            ArticleState.UNDER_REVIEW,
            ArticleState.CHANGES_REQUESTED,
        ],
        target=ArticleState.WITHDRAWN,
    )
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=ArticleState.APPROVED, target=ArticleState.UNDER_REVIEW)
    def start_rereview(self) -> None:
        """A new round of decisions on an approved article (periodic, or because of a concern); the service
        records why in `rereview_reason`."""
        self.review_round += 1


TRANSITION_NAMES = ("submit", "start_review", "request_changes", "approve", "reject", "withdraw", "revise")
DECISION_TRANSITIONS = ("request_changes", "approve", "reject")


class ImmutableModel(models.Model):
    """A record that is written once: saving an existing row or deleting it is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{type(self).__name__} is immutable; make a new one instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} is a record and cannot be deleted")


class RevisionSource(models.TextChoices):
    """How a revision was drafted: by a person, or by a machine (a model) that a person then submits."""

    HUMAN = "human", "Written by a person"
    MACHINE = "machine", "Drafted by a machine"


# What the content hash covers: 1 = title, body, references (revisions made before the plain-language
# summary became part of the revision); 2 = those and the summary.
CONTENT_HASH_VERSION = 2


class Revision(ImmutableModel):
    """Everything a reader is shown as reviewed, frozen: title, body, references, plain-language summary."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    body = models.TextField()
    plain_language_summary = models.TextField(blank=True)
    # Plain text of the rendered body; annotation positions count in it, so it is
    # frozen with the revision rather than recomputed by a later renderer.
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    change_summary = models.CharField(max_length=1000, blank=True)
    content_hash = models.CharField(max_length=64)
    hash_version = models.PositiveSmallIntegerField(default=CONTENT_HASH_VERSION)
    source = models.CharField(max_length=10, choices=RevisionSource.choices, default=RevisionSource.HUMAN)
    source_model = models.CharField(max_length=200, blank=True, help_text="The model that drafted it.")
    source_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article_id", "number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="revision_number_per_article")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"

    @property
    def machine_drafted(self) -> bool:
        return self.source == RevisionSource.MACHINE

    @cached_property
    def rendered(self) -> RenderedBody:
        """The body as today's renderer gives it, rendered once per instance."""
        return render_body(self.body)

    @property
    def blocks(self) -> list[tuple[str, int, int]] | None:
        """The rendered blocks (headings, paragraphs, list items, code), counted in `text`; None when today's
        renderer no longer gives the frozen text, and the blocks would cut sentences at the wrong places
        (whoever reads them then falls back to blank lines)."""
        return self.rendered.blocks if self.rendered.text == self.text else None

    def source_dict(self) -> dict:
        return {"kind": self.source, "model": self.source_model, "note": self.source_note}

    @property
    def source_label(self) -> str:
        """How it was drafted, as the desk pages say it: "Drafted by a machine (model-x)"."""
        if self.machine_drafted and self.source_model:
            return f"{self.get_source_display()} ({self.source_model})"
        return self.get_source_display()

    def compute_content_hash(self) -> str:
        """The hash of the stored content, as `content_hash` was computed when the revision was made."""
        return content_hash(
            self.title,
            self.body,
            [r.as_dict() for r in self.references.all()],
            self.plain_language_summary,
            version=self.hash_version,
        )


class ReferenceKind(models.TextChoices):
    GUIDELINE = "guideline", "Guideline"
    RESEARCH = "research", "Research"


class Reference(ImmutableModel):
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="references")
    number = models.PositiveIntegerField(help_text="The n of the [n] citation marker.")
    kind = models.CharField(max_length=20, choices=ReferenceKind.choices)
    citation = models.TextField()
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    doi = models.CharField(max_length=255, blank=True)
    pmid = models.CharField(max_length=20, blank=True)
    url = models.URLField(max_length=2000, blank=True)

    class Meta:
        ordering = ["revision_id", "number"]
        constraints = [models.UniqueConstraint(fields=["revision", "number"], name="reference_number_per_revision")]

    def __str__(self) -> str:
        return f"[{self.number}] {self.citation[:60]}"

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "kind": self.kind,
            "citation": self.citation,
            "year": self.year,
            "doi": self.doi,
            "pmid": self.pmid,
            "url": self.url,
        }


def content_hash(
    title: str, body: str, references: list[dict], summary: str = "", *, version: int = CONTENT_HASH_VERSION
) -> str:
    """SHA-256 of a revision's content in canonical JSON; a signature is bound to it."""
    content = {"title": title, "body": body, "references": references}
    if version >= 2:
        content["plain_language_summary"] = summary
    canonical = json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class PublishRequestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Published"
    CANCELLED = "cancelled", "Cancelled"
    REFUSED = "refused", "Refused when it ran"


class PublishRequest(models.Model):
    """An editor's request to publish a revision, now or at `publish_at`; the task fulfils it once."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="publish_requests")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    publish_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=PublishRequestStatus.choices, db_index=True)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"publish {self.article_id} r{self.revision_id} ({self.status})"


class PublishedVersion(models.Model):
    """v1..vn of an article: which revision, who published it and when, its rendered HTML.

    Never changed after publication except to record a retraction.
    """

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="published_versions")
    # One version per request: a redelivered publish task finds it and does nothing.
    request = models.OneToOneField(PublishRequest, on_delete=models.PROTECT, related_name="version")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    html = models.TextField()
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retraction_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["article_id", "number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="version_number_per_article")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"
