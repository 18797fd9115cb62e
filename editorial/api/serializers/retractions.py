"""The retraction list."""

from __future__ import annotations

from rest_framework import serializers

from .fields import LimitedSerializer


class RetractionInput(LimitedSerializer):
    # Exactly one of doi and pmid; the service checks that and their form (400 naming the field).
    doi = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="e.g. 10.1000/xyz or https://doi.org/10.1000/xyz"
    )
    pmid = serializers.CharField(required=False, allow_blank=True, max_length=30, help_text="PubMed ID: ASCII digits")
    note = serializers.CharField(help_text="Why the work was retracted, and where that was announced.")


class RetractionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    doi = serializers.CharField(help_text="Normalised: lower case, no https://doi.org/ prefix; empty for a PMID")
    pmid = serializers.CharField(help_text="Empty for a DOI")
    identifier = serializers.CharField(help_text='"doi:…" or "pmid:…"')
    note = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
