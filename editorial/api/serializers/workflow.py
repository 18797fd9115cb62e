"""Transitions, assignments, decisions and conflict declarations: input and output shapes."""

from __future__ import annotations

from rest_framework import serializers

from reviewers.models import Assignment, ConflictDeclaration, Decision

from .fields import LimitedSerializer


class TransitionInput(LimitedSerializer):
    revision = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Board decisions: the number of the revision the member read and signs (required).",
    )
    comment = serializers.CharField(required=False, allow_blank=True)
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


class AssignmentInput(LimitedSerializer):
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


class AssignmentResponseInput(LimitedSerializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class AssignmentDeclineInput(AssignmentResponseInput):
    """Declining needs a reason."""

    reason = serializers.CharField(
        error_messages={"required": "A reason is required to decline.", "blank": "A reason is required to decline."}
    )


class ConflictInput(LimitedSerializer):
    has_conflict = serializers.BooleanField()
    statement = serializers.CharField(required=False, allow_blank=True)


class ConflictOutput(serializers.ModelSerializer):
    member = serializers.CharField(source="member.username")

    class Meta:
        model = ConflictDeclaration
        fields = ["id", "member", "has_conflict", "statement", "declared_at"]


class SuggestionOutput(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    specialties = serializers.ListField(child=serializers.CharField())
    matching_specialties = serializers.ListField(child=serializers.CharField())
    open_assignments = serializers.IntegerField()
