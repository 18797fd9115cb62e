"""Input and output shapes of the API."""

from __future__ import annotations

from django.core.validators import URLValidator
from rest_framework import serializers

from articles.models import Article, PublicationPolicy, ReferenceKind, Revision
from articles.rendering import render_body
from editorial.models import AuditEvent
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


class ArticleListOutput(serializers.ModelSerializer):
    title = serializers.CharField(source="current_revision.title", read_only=True)
    current_revision = serializers.IntegerField(source="current_revision.number", read_only=True)
    author = serializers.CharField(source="created_by.username", read_only=True)
    live_version = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id", "slug", "title", "state", "topic", "author", "current_revision", "live_version", "quorum",
            "required_specialties", "publication_policy", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_live_version(self, article) -> int | None:
        return None  # publishing arrives with the Celery issue; nothing is ever live before it


class ArticleOutput(ArticleListOutput):
    approvals = serializers.SerializerMethodField()
    missing_specialties = serializers.SerializerMethodField()

    class Meta(ArticleListOutput.Meta):
        fields = [*ArticleListOutput.Meta.fields, "approvals", "missing_specialties", "plain_language_summary"]
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
            "id", "revision", "reviewer", "verdict", "meaning", "comment", "signed_name", "signed_at",
            "revision_hash", "signature", "conflict_statement",
        ]  # fmt: skip

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
            "id", "reviewer", "reviewer_name", "assigned_by", "assigned_at", "due", "overdue", "status",
            "responded_at", "conflict", "decisions",
        ]  # fmt: skip

    def get_decisions(self, assignment) -> list[dict]:
        return DecisionOutput(self.context["decisions"].get(assignment.reviewer_id, []), many=True).data

    def get_conflict(self, assignment) -> dict | None:
        declaration = self.context["declarations"].get(assignment.reviewer_id)
        if declaration is None:
            return None
        return {"has_conflict": declaration.has_conflict, "statement": declaration.statement,
                "declared_at": declaration.declared_at}  # fmt: skip


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
            "seq", "at", "actor", "actor_name", "action", "object_type", "object_id", "article", "before",
            "after", "reason", "hash", "prev_hash",
        ]  # fmt: skip

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
    html = serializers.CharField()

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
