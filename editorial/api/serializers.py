"""Input and output shapes of the API."""

from __future__ import annotations

from django.core.validators import URLValidator
from rest_framework import serializers

from articles.models import Article, PublicationPolicy, ReferenceKind, Revision
from articles.rendering import render_body
from editorial.models import AuditEvent, NotificationKind
from reviewers.models import Assignment, ConflictDeclaration, Decision


def specialty_list() -> serializers.ListField:
    return serializers.ListField(child=serializers.SlugField(max_length=80), required=False, max_length=20)


class ReferenceInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReferenceKind.choices)
    citation = serializers.CharField(max_length=20_000)
    year = serializers.IntegerField(min_value=1500, max_value=2100, required=False, allow_null=True)
    doi = serializers.CharField(max_length=255, required=False, allow_blank=True)
    pmid = serializers.RegexField(r"^\d{1,12}$", required=False, allow_blank=True)
    url = serializers.URLField(
        max_length=2000, required=False, allow_blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )


class ArticleCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    body = serializers.CharField(max_length=200_000)
    references = ReferenceInput(many=True)
    topic = serializers.SlugField(max_length=80, required=False, allow_blank=True)
    quorum = serializers.IntegerField(min_value=1, max_value=10, required=False)
    required_specialties = specialty_list()
    publication_policy = serializers.ChoiceField(choices=PublicationPolicy.choices, required=False)
    plain_language_summary = serializers.CharField(max_length=20_000, required=False, allow_blank=True)


class ArticleEditInput(serializers.Serializer):
    title = serializers.CharField(max_length=500, required=False)
    body = serializers.CharField(max_length=200_000, required=False)
    references = ReferenceInput(many=True, required=False)
    change_summary = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    base_revision = serializers.IntegerField(
        min_value=1, required=False, help_text="The revision this edit was made on; 409 if another is current."
    )
    topic = serializers.SlugField(max_length=80, required=False, allow_blank=True)
    quorum = serializers.IntegerField(min_value=1, max_value=10, required=False)
    required_specialties = specialty_list()
    publication_policy = serializers.ChoiceField(choices=PublicationPolicy.choices, required=False)
    plain_language_summary = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    review_interval_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)


class ArticleListOutput(serializers.ModelSerializer):
    title = serializers.CharField(source="current_revision.title", read_only=True)
    current_revision = serializers.IntegerField(source="current_revision.number", read_only=True)
    author = serializers.CharField(source="created_by.username", read_only=True)
    live_version = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "title",
            "state",
            "topic",
            "author",
            "current_revision",
            "live_version",
            "quorum",
            "required_specialties",
            "publication_policy",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_live_version(self, article) -> int | None:
        return article.live_version.number if article.live_version_id else None


class ArticleOutput(ArticleListOutput):
    approvals = serializers.SerializerMethodField()
    missing_specialties = serializers.SerializerMethodField()

    class Meta(ArticleListOutput.Meta):
        fields = [
            *ArticleListOutput.Meta.fields,
            "approvals",
            "missing_specialties",
            "plain_language_summary",
            "review_round",
            "last_reviewed_at",
            "next_review_due",
            "review_interval_days",
        ]
        read_only_fields = fields

    def _quorum(self, article):
        return self.context["quorum"][article.pk]

    def get_approvals(self, article) -> int:
        return self._quorum(article).count

    def get_missing_specialties(self, article) -> list[str]:
        return self._quorum(article).missing_specialties


class RevisionSummaryOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")

    class Meta:
        model = Revision
        fields = ["number", "author", "created_at", "change_summary", "content_hash"]


class ReferenceOutput(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    citation = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    doi = serializers.CharField()
    pmid = serializers.CharField()
    url = serializers.CharField()


class RevisionOutput(RevisionSummaryOutput):
    references = ReferenceOutput(many=True)
    html = serializers.SerializerMethodField()

    class Meta(RevisionSummaryOutput.Meta):
        fields = [*RevisionSummaryOutput.Meta.fields, "title", "body", "text", "html", "references"]

    def get_html(self, revision) -> str:
        return render_body(revision.body).html


class TransitionInput(serializers.Serializer):
    comment = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    password = serializers.CharField(max_length=4096, required=False, allow_blank=True, trim_whitespace=False)


class TransitionOutput(serializers.Serializer):
    name = serializers.CharField()
    target = serializers.CharField()


class DecisionOutput(serializers.ModelSerializer):
    revision = serializers.IntegerField(source="revision.number")
    reviewer = serializers.CharField(source="reviewer.username")
    conflict_statement = serializers.SerializerMethodField()
    signature = serializers.CharField(source="signature_line")

    class Meta:
        model = Decision
        fields = [
            "id",
            "revision",
            "reviewer",
            "verdict",
            "meaning",
            "comment",
            "signed_name",
            "signed_at",
            "revision_hash",
            "signature",
            "conflict_statement",
        ]

    def get_conflict_statement(self, decision) -> str:
        declaration = decision.conflict_declaration
        return declaration.statement or "No conflict of interest declared."


class AssignmentInput(serializers.Serializer):
    reviewer = serializers.CharField(max_length=150)
    due = serializers.DateField(required=False, allow_null=True)


class AssignmentOutput(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")
    reviewer_name = serializers.CharField(source="reviewer.board_profile.display_name")
    assigned_by = serializers.CharField(source="assigned_by.username")
    overdue = serializers.BooleanField(source="is_overdue")
    decisions = serializers.SerializerMethodField()
    conflict = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "reviewer",
            "reviewer_name",
            "assigned_by",
            "assigned_at",
            "due",
            "overdue",
            "status",
            "responded_at",
            "conflict",
            "decisions",
        ]

    def get_decisions(self, assignment) -> list[dict]:
        return DecisionOutput(self.context["decisions"].get(assignment.reviewer_id, []), many=True).data

    def get_conflict(self, assignment) -> dict | None:
        declaration = self.context["declarations"].get(assignment.reviewer_id)
        if declaration is None:
            return None
        return {
            "has_conflict": declaration.has_conflict,
            "statement": declaration.statement,
            "declared_at": declaration.declared_at,
        }


class AssignmentResponseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=20_000, required=False, allow_blank=True)


class ConflictInput(serializers.Serializer):
    has_conflict = serializers.BooleanField()
    statement = serializers.CharField(max_length=20_000, required=False, allow_blank=True)


class ConflictOutput(serializers.ModelSerializer):
    member = serializers.CharField(source="member.username")

    class Meta:
        model = ConflictDeclaration
        fields = ["id", "member", "has_conflict", "statement", "declared_at"]


class AuditEventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    article = serializers.IntegerField(source="article_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "article",
            "before",
            "after",
            "reason",
            "hash",
            "prev_hash",
        ]

    def get_actor(self, event) -> str | None:
        return event.actor.username if event.actor_id else None


class VerifyOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_broken = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()


class DiffOutput(serializers.Serializer):
    from_ = serializers.IntegerField()
    to = serializers.IntegerField()
    changes = serializers.ListField(child=serializers.DictField())
    html = serializers.CharField(help_text="One page of the side-by-side table.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    rows = serializers.IntegerField(help_text="Table rows on all pages together.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class SuggestionOutput(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    specialties = serializers.ListField(child=serializers.CharField())
    matching_specialties = serializers.ListField(child=serializers.CharField())
    open_assignments = serializers.IntegerField()


class SelectorInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=["TextQuoteSelector", "TextPositionSelector"])
    exact = serializers.CharField(max_length=20_000, required=False, trim_whitespace=False)
    prefix = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False)
    suffix = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False)
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=0, required=False)


class TargetInput(serializers.Serializer):
    selector = SelectorInput(many=True, allow_empty=False)

    def validate_selector(self, selectors):
        quote = [s for s in selectors if s["type"] == "TextQuoteSelector"]
        position = [s for s in selectors if s["type"] == "TextPositionSelector"]
        if len(quote) != 1 or len(position) > 1:
            raise serializers.ValidationError("Give one TextQuoteSelector and at most one TextPositionSelector.")
        if "exact" not in quote[0]:
            raise serializers.ValidationError("The TextQuoteSelector needs `exact`.")
        if position and ("start" not in position[0] or "end" not in position[0]):
            raise serializers.ValidationError("The TextPositionSelector needs `start` and `end`.")
        return selectors

    @staticmethod
    def to_selectors(target: dict) -> dict:
        """Validated selectors as keyword arguments of anchoring.anchor_from_selectors."""
        selectors = target["selector"]
        quote = next(s for s in selectors if s["type"] == "TextQuoteSelector")
        position = next((s for s in selectors if s["type"] == "TextPositionSelector"), {})
        return {
            "exact": quote["exact"],
            "prefix": quote.get("prefix", ""),
            "suffix": quote.get("suffix", ""),
            "start": position.get("start"),
            "end": position.get("end"),
        }


class AnnotationInput(serializers.Serializer):
    revision = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=["comment", "suggestion", "citation_needed", "safety"])
    body = serializers.CharField(max_length=20_000)
    suggestion = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False)
    blocking = serializers.BooleanField(required=False, default=False)
    target = TargetInput()


class ReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)


class ResolveInput(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, required=False, allow_blank=True, help_text="A response.")


class ReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class AnnotationOutput(serializers.Serializer):
    """An annotation as it stands on one revision (`anchor` is its AnnotationAnchor there)."""

    id = serializers.IntegerField(source="annotation.id")
    kind = serializers.CharField(source="annotation.kind")
    body = serializers.CharField(source="annotation.body")
    suggestion = serializers.CharField(source="annotation.suggestion")
    blocking = serializers.BooleanField(source="annotation.blocking")
    status = serializers.SerializerMethodField()
    anchoring = serializers.CharField(source="method", help_text="original, exact, fuzzy or orphaned")
    edit_distance = serializers.IntegerField(source="distance")
    created_by = serializers.CharField(source="annotation.created_by.username")
    created_at = serializers.DateTimeField(source="annotation.created_at")
    created_on_revision = serializers.IntegerField(source="annotation.created_on_revision.number")
    revision = serializers.IntegerField(source="revision.number")
    resolved_by = serializers.CharField(source="annotation.resolved_by.username", allow_null=True, default=None)
    resolved_at = serializers.DateTimeField(source="annotation.resolved_at", allow_null=True)
    accepted_revision = serializers.IntegerField(
        source="annotation.accepted_revision.number", allow_null=True, default=None
    )
    target = serializers.SerializerMethodField()
    replies = ReplyOutput(source="annotation.replies.all", many=True)

    def get_status(self, anchor) -> str:
        if anchor.annotation.status == "resolved":
            return "resolved"
        return "orphaned" if anchor.orphaned else "open"

    def get_target(self, anchor) -> dict:
        return {
            # An orphan's positions count in the text of the revision it last stood on.
            "source": f"/api/v1/articles/{anchor.annotation.article_id}/revisions/"
            f"{(anchor.positions_revision or anchor.revision).number}/",
            "selector": [
                {"type": "TextQuoteSelector", "exact": anchor.exact, "prefix": anchor.prefix, "suffix": anchor.suffix},
                {"type": "TextPositionSelector", "start": anchor.start, "end": anchor.end},
            ],
        }


class PublishInput(serializers.Serializer):
    revision = serializers.IntegerField(min_value=1, required=False)
    publish_at = serializers.DateTimeField(required=False)


class PublishRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(source="id")
    status = serializers.CharField()
    revision = serializers.IntegerField(source="revision.number")
    publish_at = serializers.DateTimeField(allow_null=True)
    requested_by = serializers.CharField(source="requested_by.username")
    requested_at = serializers.DateTimeField()
    outcome = serializers.CharField()
    version = serializers.SerializerMethodField()

    def get_version(self, request) -> int | None:
        version = getattr(request, "version", None) if request.status == "done" else None
        return version.number if version else None


class VersionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    revision = serializers.IntegerField(source="revision.number")
    published_at = serializers.DateTimeField()
    published_by = serializers.CharField(source="published_by.username")
    review_status = serializers.SerializerMethodField()
    retracted_at = serializers.DateTimeField(allow_null=True)
    retraction_reason = serializers.CharField()
    change_summary = serializers.CharField(source="revision.change_summary")

    def get_review_status(self, version) -> str:
        return self.context["statuses"][version.revision_id]


class RetractInput(serializers.Serializer):
    reason = serializers.CharField(max_length=20_000)


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    article = serializers.IntegerField(source="article_id", allow_null=True)
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class PreferenceInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    mode = serializers.ChoiceField(choices=["immediate", "digest", "off"])
