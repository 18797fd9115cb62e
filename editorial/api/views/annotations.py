"""Annotations over HTTP, and their W3C Web Annotation (JSON-LD) export."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from articles.models import Revision
from editorial import permissions
from editorial.services import annotations as annotation_services
from reviewers.models import Annotation, AnnotationAnchor
from reviewers.selectors import anchors_on_revision

from ..base import REVISION_NUMBER, EditorialAPIView
from ..serializers import annotations as s

MOTIVATION = {
    "comment": "commenting",
    "suggestion": "editing",
    "citation_needed": "questioning",
    "safety": "assessing",
    "check": "assessing",
}


class JSONLDRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


def _anchor_for(annotation: Annotation, revision: Revision | None) -> AnnotationAnchor:
    """The annotation on the given revision, else where it last stood."""
    anchors = (
        AnnotationAnchor.objects.select_related(
            "revision",
            "positions_revision",
            "annotation__created_by",
            "annotation__created_on_revision",
            "annotation__resolved_by",
            "annotation__accepted_revision",
        )
        .prefetch_related("annotation__replies__author")
        .filter(annotation=annotation)
    )
    anchor = anchors.filter(revision=revision).first() if revision else None
    return anchor or anchors.order_by("-revision__number").first()


def as_web_annotation(anchor: AnnotationAnchor, request) -> dict:
    data = s.AnnotationOutput(anchor).data
    annotation = anchor.annotation
    bodies = [{"type": "TextualBody", "value": annotation.body, "format": "text/plain", "purpose": "commenting"}]
    if annotation.suggestion:
        bodies.append(
            {"type": "TextualBody", "value": annotation.suggestion, "format": "text/plain", "purpose": "editing"}
        )
    bodies += [
        {
            "type": "TextualBody",
            "value": r["body"],
            "format": "text/plain",
            "purpose": "replying",
            "creator": r["author"],
            "created": r["created_at"],
        }
        for r in data["replies"]
    ]
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": request.build_absolute_uri(f"/api/v1/articles/{annotation.article_id}/annotations/{annotation.pk}/"),
        "type": "Annotation",
        "motivation": MOTIVATION[annotation.kind],
        "created": data["created_at"],
        "creator": (
            {"type": "Person", "nickname": data["created_by"]}
            if data["created_by"] is not None
            else {"type": "Software", "name": f"Editorial check: {annotation.rule}"}
        ),
        "body": bodies,
        "target": {
            "source": request.build_absolute_uri(data["target"]["source"]),
            "selector": data["target"]["selector"],
        },
        "editorial:status": data["status"],
        "editorial:blocking": data["blocking"],
        "editorial:kind": data["kind"],
        "editorial:rule": data["rule"],
    }


class AnnotationListCreate(EditorialAPIView, ListAPIView):
    serializer_class = s.AnnotationOutput

    @extend_schema(
        parameters=[OpenApiParameter("revision", REVISION_NUMBER, description="default: the current revision")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return anchors_on_revision(self.revision_param(article))

    @extend_schema(request=s.AnnotationInput, responses={201: s.AnnotationOutput})
    def post(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_annotate(article, request.user)  # 403 before 400
        data = s.AnnotationInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        annotation = annotation_services.add_annotation(
            article,
            actor=request.user,
            revision_number=fields["revision"],
            kind=fields["kind"],
            body=fields["body"],
            suggestion=fields.get("suggestion", ""),
            blocking=fields["blocking"],
            selectors=s.TargetInput.to_selectors(fields["target"]),
        )
        anchor = _anchor_for(annotation, annotation.created_on_revision)
        return Response(s.AnnotationOutput(anchor).data, status=status.HTTP_201_CREATED)


class AnnotationDetail(EditorialAPIView):
    renderer_classes = [JSONRenderer, JSONLDRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("revision", REVISION_NUMBER), OpenApiParameter("format", enum=["json", "jsonld"])],
        responses={
            (200, "application/json"): s.AnnotationOutput,
            (200, "application/ld+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="a W3C Web Annotation"),
        },
    )
    def get(self, request, article_id: int, annotation_id: int):
        article = self.get_article(article_id)
        annotation = get_object_or_404(Annotation, article=article, pk=annotation_id)
        revision = self.revision_param(article) if "revision" in request.query_params else None
        anchor = _anchor_for(annotation, revision or article.current_revision)
        if request.accepted_renderer.format == "jsonld":
            return Response(as_web_annotation(anchor, request), content_type="application/ld+json")
        return Response(s.AnnotationOutput(anchor).data)


class _AnnotationAction(EditorialAPIView):
    def annotation(self, article_id: int, annotation_id: int) -> Annotation:
        article = self.get_article(article_id)
        return get_object_or_404(Annotation, article=article, pk=annotation_id)

    def respond(self, annotation: Annotation, code=status.HTTP_200_OK) -> Response:
        annotation = Annotation.objects.select_related("article__current_revision").get(pk=annotation.pk)
        anchor = _anchor_for(annotation, annotation.article.current_revision)
        return Response(s.AnnotationOutput(anchor).data, status=code)


class AnnotationReply(_AnnotationAction):
    @extend_schema(request=s.ReplyInput, responses={201: s.ReplyOutput})
    def post(self, request, article_id: int, annotation_id: int):
        annotation = self.annotation(article_id, annotation_id)
        permissions.require_can_reply(annotation.article, request.user)  # 403 before 400
        data = s.ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        reply = annotation_services.reply_to_annotation(
            annotation, actor=request.user, body=data.validated_data["body"]
        )
        return Response(s.ReplyOutput(reply).data, status=status.HTTP_201_CREATED)


class AnnotationResolve(_AnnotationAction):
    reopen = False

    @extend_schema(request=s.ResolveInput, responses=s.AnnotationOutput)
    def post(self, request, article_id: int, annotation_id: int):
        annotation = self.annotation(article_id, annotation_id)
        verb = "reopen" if self.reopen else "resolve"
        permissions.require_can_resolve(annotation, annotation.article, request.user, verb)  # 403 before 400
        data = s.ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        text = data.validated_data.get("body", "")
        if self.reopen:
            annotation = annotation_services.reopen_annotation(annotation, actor=request.user, reason=text)
        else:
            annotation = annotation_services.resolve_annotation(annotation, actor=request.user, response=text)
        return self.respond(annotation)


class AnnotationAccept(_AnnotationAction):
    @extend_schema(request=None, responses=s.AnnotationOutput)
    def post(self, request, article_id: int, annotation_id: int):
        annotation = self.annotation(article_id, annotation_id)
        annotation = annotation_services.accept_suggestion(annotation, actor=request.user)
        return self.respond(annotation)
