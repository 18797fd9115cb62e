"""Articles and their revisions: create, list, read, edit (a new revision), diff."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from articles.diff import diff_revisions
from articles.models import Article, ArticleState, Reference, Revision
from articles.selectors import visible_articles
from editorial import permissions
from editorial.exceptions import InvalidInput
from editorial.services import articles as article_services
from reviewers.models import Assignment
from reviewers.selectors import quorum_status

from ..base import EditorialAPIView
from ..serializers import articles as s


def article_response(article, code=status.HTTP_200_OK) -> Response:
    """The article as the service left it (read under its lock, then changed), else read afresh."""
    if not {"current_revision", "created_by"} <= article._state.fields_cache.keys():
        article = Article.objects.select_related("current_revision", "created_by").get(pk=article.pk)
    status_now = getattr(article, "known_quorum_status", None) or quorum_status(article)
    return Response(s.ArticleOutput(article, context={"quorum": {article.pk: status_now}}).data, status=code)


class ArticleListCreate(EditorialAPIView, ListAPIView):
    serializer_class = s.ArticleListOutput
    long_text_fields = ("body",)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", enum=ArticleState.values),
            OpenApiParameter("topic", str),
            OpenApiParameter("assigned_to", enum=["me"]),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        articles = visible_articles(self.request.user)
        params = self.request.query_params
        if "state" in params:
            if params["state"] not in ArticleState.values:
                raise InvalidInput(f"Unknown state {params['state']!r}.", errors={"state": ["Unknown state."]})
            articles = articles.filter(state=params["state"])
        if params.get("topic"):
            articles = articles.filter(topic=params["topic"])
        if "assigned_to" in params:
            if params["assigned_to"] != "me":
                raise InvalidInput("assigned_to accepts only 'me'.", errors={"assigned_to": ["Use 'me'."]})
            # One EXISTS: an exclude() across the relation would also drop articles someone else declined.
            mine = Assignment.objects.active().filter(article=OuterRef("pk"), reviewer=self.request.user)
            articles = articles.filter(Exists(mine))
        return articles.order_by("id")

    @extend_schema(request=s.ArticleCreateInput, responses={201: s.ArticleOutput})
    def post(self, request):
        permissions.require_can_create_article(request.user)
        data = s.ArticleCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        article = article_services.create_article(actor=request.user, **data.validated_data)
        return article_response(article, status.HTTP_201_CREATED)


class ArticleDetail(EditorialAPIView):
    long_text_fields = ("body",)

    @extend_schema(responses=s.ArticleOutput)
    def get(self, request, article_id: int):
        return article_response(self.get_article(article_id))

    @extend_schema(request=s.ArticleEditInput, responses=s.ArticleOutput)
    def patch(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_edit(article, request.user)
        data = s.ArticleEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        article = article_services.edit_article(article, actor=request.user, **data.validated_data)
        return article_response(article)


class RevisionList(EditorialAPIView, ListAPIView):
    serializer_class = s.RevisionSummaryOutput

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return article.revisions.select_related("author").order_by("number")


def _revision(article, number: int) -> Revision:
    return get_object_or_404(
        Revision.objects.select_related("author").prefetch_related(
            Prefetch("references", queryset=Reference.objects.order_by("number"))
        ),
        article=article,
        number=number,
    )


class RevisionDetail(EditorialAPIView):
    @extend_schema(responses=s.RevisionOutput)
    def get(self, request, article_id: int, number: int):
        return Response(s.RevisionOutput(_revision(self.get_article(article_id), number)).data)


class RevisionDiff(EditorialAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1}, description="the page of the HTML table (default 1)"
            )
        ],
        responses=s.DiffOutput,
    )
    def get(self, request, article_id: int, a: int, b: int):
        article = self.get_article(article_id)
        page = request.query_params.get("page", "1")
        if not page.isdigit():
            raise InvalidInput("page must be a page number.", errors={"page": ["Not an integer."]})
        return Response(diff_revisions(_revision(article, a), _revision(article, b), page=int(page)))
