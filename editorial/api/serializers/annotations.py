"""Annotations: W3C selectors in, annotations as they stand on a revision out."""

from __future__ import annotations

from rest_framework import serializers

from reviewers.models import AnnotationKind

from .fields import LimitedSerializer


class SelectorInput(LimitedSerializer):
    type = serializers.ChoiceField(choices=["TextQuoteSelector", "TextPositionSelector"])
    exact = serializers.CharField(required=False, trim_whitespace=False)
    prefix = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    suffix = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=0, required=False)


class TargetInput(LimitedSerializer):
    # A ListField rather than many=True: its min_length is documented (minItems), the list serializer's is not.
    selector = serializers.ListField(child=SelectorInput(), allow_empty=False, min_length=1)

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


# What a person may raise: a check is raised by the system only.
PERSON_KINDS = [(value, label) for value, label in AnnotationKind.choices if value != AnnotationKind.CHECK]


class AnnotationInput(LimitedSerializer):
    revision = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=PERSON_KINDS)
    body = serializers.CharField()
    suggestion = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    blocking = serializers.BooleanField(required=False, default=False)
    target = TargetInput()


class ReplyInput(LimitedSerializer):
    body = serializers.CharField()


class ResolveInput(LimitedSerializer):
    body = serializers.CharField(required=False, allow_blank=True, help_text="A response.")


class ReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class AnnotationOutput(serializers.Serializer):
    """An annotation as it stands on one revision (`anchor` is its AnnotationAnchor there)."""

    id = serializers.IntegerField(source="annotation.id")
    kind = serializers.CharField(source="annotation.kind", help_text='"check" for an automated check')
    rule = serializers.CharField(
        source="annotation.rule", help_text="The check that raised it (dosage, uncited_claim, ...); empty otherwise"
    )
    body = serializers.CharField(source="annotation.body")
    suggestion = serializers.CharField(source="annotation.suggestion")
    blocking = serializers.BooleanField(source="annotation.blocking")
    status = serializers.CharField(source="display_status", help_text="open, resolved or orphaned")
    anchoring = serializers.CharField(source="method", help_text="original, exact, fuzzy or orphaned")
    edit_distance = serializers.IntegerField(source="distance")
    created_by = serializers.CharField(
        source="annotation.created_by.username", allow_null=True, default=None, help_text="null for a check"
    )
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
