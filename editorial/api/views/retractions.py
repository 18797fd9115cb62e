"""The retraction list over HTTP: editors add to it; editors, auditors and board members read it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from editorial import permissions
from editorial.models import ReferenceRetraction
from editorial.services import retractions as retraction_services

from ..base import EditorialAPIView
from ..serializers import retractions as s


class RetractionListCreate(EditorialAPIView, ListAPIView):
    """The retraction list, oldest first."""

    serializer_class = s.RetractionOutput

    def get_queryset(self):
        permissions.require_can_read_retractions(self.request.user)
        return ReferenceRetraction.objects.select_related("created_by").order_by("created_at", "id")

    @extend_schema(request=s.RetractionInput, responses={201: s.RetractionOutput})
    def post(self, request):
        permissions.require_can_manage_retractions(request.user)  # 403 before 400
        data = s.RetractionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        retraction = retraction_services.add_reference_retraction(
            actor=request.user, doi=fields.get("doi"), pmid=fields.get("pmid"), note=fields["note"]
        )
        return Response(s.RetractionOutput(retraction).data, status=status.HTTP_201_CREATED)
