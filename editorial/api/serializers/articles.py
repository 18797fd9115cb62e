"""Articles and revisions: input and output shapes."""

from __future__ import annotations

from django.core.validators import URLValidator
from rest_framework import serializers

from articles.models import Article, PublicationPolicy, ReferenceKind, Revision, RevisionSource

from .fields import LimitedSerializer


def specialty_list() -> serializers.ListField:
    return serializers.ListField(child=serializers.SlugField(max_length=80), required=False, max_length=20)


class ReferenceInput(LimitedSerializer):
    kind = serializers.ChoiceField(choices=ReferenceKind.choices)
    citation = serializers.CharField()
    year = serializers.IntegerField(min_value=1500, max_value=2100, required=False, allow_null=True)
    doi = serializers.CharField(max_length=255, required=False, allow_blank=True)
    pmid = serializers.RegexField(r"^[0-9]{1,12}$", required=False, allow_blank=True)
    url = serializers.URLField(
        max_length=2000, required=False, allow_blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )


class SourceInput(LimitedSerializer):
    """How a revision was drafted; machine drafts name the model."""

    kind = serializers.ChoiceField(choices=RevisionSource.choices)
    model = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)

    def validate(self, data: dict) -> dict:
        if data["kind"] == RevisionSource.MACHINE and not data.get("model", "").strip():
            raise serializers.ValidationError({"model": ["Name the model that drafted it."]})
        return data


class SourceOutput(serializers.Serializer):
    kind = serializers.CharField(source="source")
    model = serializers.CharField(source="source_model")
    note = serializers.CharField(source="source_note")


class ArticleCreateInput(LimitedSerializer):
    long_text_fields = ("body",)

    title = serializers.CharField(max_length=500)
    body = serializers.CharField()
    references = ReferenceInput(many=True)
    topic = serializers.SlugField(max_length=80, required=False, allow_blank=True)
    quorum = serializers.IntegerField(min_value=1, max_value=10, required=False)
    required_specialties = specialty_list()
    publication_policy = serializers.ChoiceField(choices=PublicationPolicy.choices, required=False)
    plain_language_summary = serializers.CharField(required=False, allow_blank=True)
    source = SourceInput(required=False)
    doses_need_verification = serializers.BooleanField(
        required=False, help_text="Every dose must be verified by an approver before they approve (default false)."
    )


class ArticleEditInput(LimitedSerializer):
    long_text_fields = ("body",)

    title = serializers.CharField(max_length=500, required=False)
    body = serializers.CharField(required=False)
    references = ReferenceInput(many=True, required=False)
    change_summary = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    base_revision = serializers.IntegerField(
        min_value=1, required=False, help_text="The revision this edit was made on; 409 if another is current."
    )
    topic = serializers.SlugField(max_length=80, required=False, allow_blank=True)
    quorum = serializers.IntegerField(min_value=1, max_value=10, required=False)
    required_specialties = specialty_list()
    publication_policy = serializers.ChoiceField(choices=PublicationPolicy.choices, required=False)
    plain_language_summary = serializers.CharField(required=False, allow_blank=True)
    source = SourceInput(required=False, help_text="How the new revision was drafted (default: by a person).")
    review_interval_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)
    doses_need_verification = serializers.BooleanField(
        required=False, help_text="Editors: every dose must be verified by an approver before they approve."
    )


class ArticleListOutput(serializers.ModelSerializer):
    title = serializers.CharField(source="current_revision.title", read_only=True)
    current_revision = serializers.IntegerField(source="current_revision.number", read_only=True)
    author = serializers.CharField(source="created_by.username", read_only=True)
    live_version = serializers.SerializerMethodField()
    # Declared: read-only model fields lose allow_blank, and the schema would then refuse "" (no topic).
    topic = serializers.SlugField(read_only=True, allow_blank=True)

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
    plain_language_summary = serializers.CharField(source="current_revision.plain_language_summary", read_only=True)
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
            "doses_need_verification",
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
    source = SourceOutput(source="*")

    class Meta:
        model = Revision
        fields = ["number", "author", "created_at", "change_summary", "content_hash", "source"]


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
        fields = [
            *RevisionSummaryOutput.Meta.fields,
            "title",
            "body",
            "plain_language_summary",
            "text",
            "html",
            "references",
        ]

    def get_html(self, revision) -> str:
        return revision.rendered.html


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
