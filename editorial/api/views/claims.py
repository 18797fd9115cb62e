"""Claim-by-claim verification over HTTP: a revision's claims with your verifications, and verifying one."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from articles.models import Revision
from editorial import permissions
from editorial.exceptions import InvalidInput
from editorial.services import claims as claim_services
from editorial.services.common import locked_request
from reviewers.selectors import claim_progress

from ..base import EditorialAPIView
from ..serializers import claims as s


class ClaimListVerify(EditorialAPIView, ListAPIView):
    """GET: the claims of `?revision=n` (default: the current one), each with your verification of it.
    POST: a board member assigned to the article verifies one claim of the current revision."""

    serializer_class = s.ClaimOutput

    @extend_schema(
        parameters=[OpenApiParameter("revision", OpenApiTypes.INT, description="Default: the current revision.")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        number = self.request.query_params.get("revision", "").strip()
        if not number:
            revision = article.current_revision
        else:
            try:
                number = int(number)
            except ValueError:
                raise InvalidInput(
                    "The revision is a number.", errors={"revision": ["A valid integer is required."]}
                ) from None
            revision = get_object_or_404(Revision, article=article, number=number)  # 0 or less: none such
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
