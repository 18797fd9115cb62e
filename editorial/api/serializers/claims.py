"""Claims of a revision and a board member's verifications: input and output shapes."""

from __future__ import annotations

from rest_framework import serializers

from reviewers.models import CLAIM_KEY_LENGTH, MAX_REFERENCE_NUMBER

from .fields import LimitedSerializer


class ClaimVerificationInput(LimitedSerializer):
    revision = serializers.IntegerField(min_value=1, help_text="The number of the revision read (the current one).")
    claim = serializers.CharField(
        max_length=CLAIM_KEY_LENGTH, help_text="The claim's `key`, as the claims list gives it."
    )
    reference = serializers.IntegerField(
        min_value=1, max_value=MAX_REFERENCE_NUMBER, help_text="The n of the [n] it was checked against."
    )


class ClaimVerificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    revision = serializers.IntegerField(source="revision.number")
    claim = serializers.CharField(source="claim_key")
    sentence = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    reference = serializers.IntegerField()
    is_dose = serializers.BooleanField()
    verified_at = serializers.DateTimeField(source="created_at")
    carried = serializers.BooleanField(read_only=True, help_text="Carried over from an earlier revision, unchanged.")


class YourVerification(serializers.Serializer):
    reference = serializers.IntegerField()
    verified_at = serializers.DateTimeField(source="created_at")
    carried = serializers.BooleanField(read_only=True)


class ClaimOutput(serializers.Serializer):
    key = serializers.CharField()
    sentence = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    references = serializers.ListField(child=serializers.IntegerField(), help_text="The [n] markers it cites.")
    doses = serializers.ListField(child=serializers.CharField(), help_text="The dose statements it makes.")
    reference_choices = serializers.ListField(
        child=serializers.IntegerField(), help_text="What it may be verified against."
    )
    verified_by_you = YourVerification(allow_null=True, help_text="Your verification of it on this revision.")
