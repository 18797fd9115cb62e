"""Articles, revisions, diffs, transitions, assignments and conflict declarations."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from articles.diff import diff_revisions
from articles.models import TRANSITION_NAMES, Article, ArticleState, Reference, Revision
from articles.selectors import visible_articles
from editorial import permissions
from editorial.exceptions import InvalidInput, NotFound
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import workflow
from reviewers.models import Assignment, AssignmentStatus, Decision
from reviewers.selectors import declarations_in_force, quorum_status, suggested_reviewers

from . import serializers as s
from .base import EditorialAPIView


def _article_response(article, code=status.HTTP_200_OK) -> Response:
    article = Article.objects.select_related("current_revision", "created_by").get(pk=article.pk)
    return Response(
        s.ArticleOutput(article, context={"quorum": {article.pk: quorum_status(article)}}).data, status=code
    )


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
            mine = Assignment.objects.filter(article=OuterRef("pk"), reviewer=self.request.user).exclude(
                status=AssignmentStatus.DECLINED
            )
            articles = articles.filter(Exists(mine))
        return articles.order_by("id")

    @extend_schema(request=s.ArticleCreateInput, responses={201: s.ArticleOutput})
    def post(self, request):
        permissions.require_can_create_article(request.user)
        data = s.ArticleCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        article = article_services.create_article(actor=request.user, **data.validated_data)
        return _article_response(article, status.HTTP_201_CREATED)


class ArticleDetail(EditorialAPIView):
    long_text_fields = ("body",)

    @extend_schema(responses=s.ArticleOutput)
    def get(self, request, article_id: int):
        return _article_response(self.get_article(article_id))

    @extend_schema(request=s.ArticleEditInput, responses=s.ArticleOutput)
    def patch(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_edit(article, request.user)
        data = s.ArticleEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        article = article_services.edit_article(article, actor=request.user, **data.validated_data)
        return _article_response(article)


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
    @extend_schema(responses=s.DiffOutput)
    def get(self, request, article_id: int, a: int, b: int):
        article = self.get_article(article_id)
        return Response(diff_revisions(_revision(article, a), _revision(article, b)))


class TransitionList(EditorialAPIView):
    pagination_class = None

    @extend_schema(responses=s.TransitionOutput(many=True))
    def get(self, request, article_id: int):
        article = self.get_article(article_id)
        return Response(workflow.available_transitions(article, request.user))


class TransitionTake(EditorialAPIView):
    @extend_schema(request=s.TransitionInput, responses=s.ArticleOutput)
    def post(self, request, article_id: int, name: str):
        article = self.get_article(article_id)
        if name not in TRANSITION_NAMES:
            raise NotFound(f"There is no transition called {name!r}.", "unknown_transition")
        workflow.check_transition_role(article, name, request.user)  # 403 before 400
        data = s.TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        article = workflow.take_transition(article, name, actor=request.user, **data.validated_data)
        return _article_response(article)


def assignment_context(article) -> dict:
    """Decisions and declarations in force for every reviewer of the article, fetched once."""
    decisions: dict[int, list] = {}
    for decision in Decision.objects.filter(article=article).select_related(
        "revision", "reviewer", "conflict_declaration"
    ):
        decisions.setdefault(decision.reviewer_id, []).append(decision)
    reviewer_ids = Assignment.objects.filter(article=article).values("reviewer_id")
    return {"decisions": decisions, "declarations": declarations_in_force(article, reviewer_ids)}


class AssignmentListCreate(EditorialAPIView, ListAPIView):
    serializer_class = s.AssignmentOutput

    def get_queryset(self):
        self.article = self.get_article(self.kwargs["article_id"])
        return Assignment.objects.filter(article=self.article).select_related("reviewer__board_profile", "assigned_by")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **assignment_context(self.article)}

    @extend_schema(request=s.AssignmentInput, responses={201: s.AssignmentOutput})
    def post(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_assign(request.user)
        data = s.AssignmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = assignment_services.assign_reviewer(
            article,
            actor=request.user,
            reviewer_username=data.validated_data["reviewer"],
            due=data.validated_data.get("due"),
        )
        return Response(
            s.AssignmentOutput(assignment, context=assignment_context(article)).data, status=status.HTTP_201_CREATED
        )


class AssignmentSuggestions(EditorialAPIView):
    pagination_class = None

    @extend_schema(responses=s.SuggestionOutput(many=True))
    def get(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_assign(request.user)
        return Response(suggested_reviewers(article))


class AssignmentRespond(EditorialAPIView):
    accept = True

    @extend_schema(request=s.AssignmentResponseInput, responses=s.AssignmentOutput)
    def post(self, request, article_id: int, assignment_id: int):
        article = self.get_article(article_id)
        assignment = get_object_or_404(Assignment, article=article, pk=assignment_id)
        assignment_services.check_may_respond(assignment, request.user)  # 403 before 400
        data = s.AssignmentResponseInput(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = assignment_services.respond_to_assignment(
            assignment, actor=request.user, accept=self.accept, reason=data.validated_data.get("reason", "")
        )
        return Response(s.AssignmentOutput(assignment, context=assignment_context(article)).data)


class ConflictListCreate(EditorialAPIView, ListAPIView):
    serializer_class = s.ConflictOutput

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return article.conflict_declarations.select_related("member").order_by("declared_at", "id")

    @extend_schema(request=s.ConflictInput, responses={201: s.ConflictOutput})
    def post(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_board_member(request.user)
        data = s.ConflictInput(data=request.data)
        data.is_valid(raise_exception=True)
        declaration = assignment_services.declare_conflict(article, actor=request.user, **data.validated_data)
        return Response(s.ConflictOutput(declaration).data, status=status.HTTP_201_CREATED)
