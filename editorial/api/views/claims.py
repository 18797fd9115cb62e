"""Claim-by-claim verification over HTTP: a revision's claims with your verifications, and verifying one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from editorial import permissions
from editorial.services import claims as claim_services
from editorial.services.common import locked_request
from reviewers.selectors import claim_progress

from ..base import REVISION_NUMBER, EditorialAPIView
from ..serializers import claims as s


class ClaimListVerify(EditorialAPIView, ListAPIView):
    """GET: the claims of `?revision=n` (default: the current one), each with your verification of it.
    POST: a board member assigned to the article verifies one claim of the current revision."""

    serializer_class = s.ClaimOutput

    @extend_schema(
        parameters=[OpenApiParameter("revision", REVISION_NUMBER, description="Default: the current revision.")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        revision = self.revision_param(article)
        numbers = [r.number for r in revision.references.all()]
        progress = claim_progress(revision, self.request.user)
        return [
            {
                "key": claim.key,
                "sentence": claim.sentence,
                "start": claim.start,
                "end": claim.end,
                "references": list(claim.references),
                "doses": list(claim.doses),
                "reference_choices": claim.reference_choices(numbers),
                "verified_by_you": progress.verified.get(claim.key),
            }
            for claim in progress.claims
        ]

    @extend_schema(request=s.ClaimVerificationInput, responses={201: s.ClaimVerificationOutput})
    def post(self, request, article_id: int):
        with locked_request():
            article = self.get_article(article_id, lock=True)
            permissions.require_can_verify_claims(article, request.user)  # 403 before 400 (API.md)
            data = s.ClaimVerificationInput(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            verification = claim_services.verify_claim(
                article,
                actor=request.user,
                revision_number=values["revision"],
                claim_key=values["claim"],
                reference=values["reference"],
            )
        return Response(s.ClaimVerificationOutput(verification).data, status=status.HTTP_201_CREATED)
