"""Transitions, assignments and conflict-of-interest declarations."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from articles.models import DECISION_TRANSITIONS, TRANSITION_NAMES
from editorial import permissions
from editorial.exceptions import NotFound
from editorial.services import assignments as assignment_services
from editorial.services import workflow
from editorial.services.common import locked_request
from reviewers.eligibility import declarations_in_force
from reviewers.models import Assignment, Decision
from reviewers.selectors import suggested_reviewers

from ..base import EditorialAPIView
from ..serializers import workflow as s
from ..serializers.articles import ArticleOutput
from .articles import article_response


class TransitionList(EditorialAPIView):
    pagination_class = None

    @extend_schema(responses=s.TransitionOutput(many=True))
    def get(self, request, article_id: int):
        article = self.get_article(article_id)
        return Response(workflow.available_transitions(article, request.user))


class TransitionTake(EditorialAPIView):
    @extend_schema(request=s.TransitionInput, responses=ArticleOutput)
    def post(self, request, article_id: int, name: str):
        if name in DECISION_TRANSITIONS:
            # A signed decision checks the password before it takes the article's lock (slow on purpose).
            return self._take(request, self.get_article(article_id), name)
        with locked_request():
            return self._take(request, self.get_article(article_id, lock=True), name)

    def _take(self, request, article, name: str):
        if name not in TRANSITION_NAMES:
            raise NotFound(f"There is no transition called {name!r}.", "unknown_transition")
        permissions.require_transition_role(article, name, request.user)  # 403 before 400
        data = s.TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        article = workflow.take_transition(article, name, actor=request.user, **data.validated_data)
        return article_response(article)


def assignment_context(article, reviewer=None) -> dict:
    """Decisions and declarations in force for every reviewer of the article (or for one), fetched once."""
    decisions: dict[int, list] = {}
    found = Decision.objects.filter(article=article).select_related("revision", "reviewer", "conflict_declaration")
    for decision in found.filter(reviewer=reviewer) if reviewer is not None else found:
        decisions.setdefault(decision.reviewer_id, []).append(decision)
    reviewer_ids = (
        [reviewer.pk] if reviewer is not None else Assignment.objects.filter(article=article).values("reviewer_id")
    )
    return {"decisions": decisions, "declarations": declarations_in_force(article, reviewer_ids)}


class AssignmentListCreate(EditorialAPIView, ListAPIView):
    serializer_class = s.AssignmentOutput

    def get_queryset(self):
        self.article = self.get_article(self.kwargs["article_id"])
        return Assignment.objects.filter(article=self.article).select_related("reviewer__board_profile", "assigned_by")

    def get_serializer_context(self):
        # OPTIONS describes POST without listing first: then the article is not loaded yet.
        if not hasattr(self, "article"):
            self.article = self.get_article(self.kwargs["article_id"])
        return {**super().get_serializer_context(), **assignment_context(self.article)}

    @extend_schema(request=s.AssignmentInput, responses={201: s.AssignmentOutput})
    def post(self, request, article_id: int):
        with locked_request():
            article = self.get_article(article_id, lock=True)
            permissions.require_can_assign(request.user)
            data = s.AssignmentInput(data=request.data)
            data.is_valid(raise_exception=True)
            assignment = assignment_services.assign_reviewer(
                article,
                actor=request.user,
                reviewer_username=data.validated_data["reviewer"],
                due=data.validated_data.get("due"),
            )
        context = getattr(assignment, "known_context", None) or assignment_context(article, assignment.reviewer)
        return Response(s.AssignmentOutput(assignment, context=context).data, status=status.HTTP_201_CREATED)


class AssignmentSuggestions(EditorialAPIView):
    pagination_class = None

    @extend_schema(responses=s.SuggestionOutput(many=True))
    def get(self, request, article_id: int):
        article = self.get_article(article_id)
        permissions.require_can_assign(request.user)
        return Response(suggested_reviewers(article))


class AssignmentRespond(EditorialAPIView):
    accept = True
    input_serializer = s.AssignmentResponseInput

    @extend_schema(request=s.AssignmentResponseInput, responses=s.AssignmentOutput)
    def post(self, request, article_id: int, assignment_id: int):
        article = self.get_article(article_id)
        assignment = get_object_or_404(Assignment, article=article, pk=assignment_id)
        permissions.require_can_respond(assignment, request.user)  # 403 before 400
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = assignment_services.respond_to_assignment(
            assignment, actor=request.user, accept=self.accept, reason=data.validated_data.get("reason", "")
        )
        return Response(s.AssignmentOutput(assignment, context=assignment_context(article, assignment.reviewer)).data)


@extend_schema_view(post=extend_schema(request=s.AssignmentDeclineInput, responses=s.AssignmentOutput))
class AssignmentDecline(AssignmentRespond):
    accept = False
    input_serializer = s.AssignmentDeclineInput


class ConflictListCreate(EditorialAPIView, ListAPIView):
    serializer_class = s.ConflictOutput

    def get_queryset(self):
        article = self.get_article(self.kwargs["article_id"])
        return article.conflict_declarations.select_related("member").order_by("declared_at", "id")

    @extend_schema(request=s.ConflictInput, responses={201: s.ConflictOutput})
    def post(self, request, article_id: int):
        with locked_request():
            article = self.get_article(article_id, lock=True)
            permissions.require_board_member(request.user)
            data = s.ConflictInput(data=request.data)
            data.is_valid(raise_exception=True)
            declaration = assignment_services.declare_conflict(article, actor=request.user, **data.validated_data)
        return Response(s.ConflictOutput(declaration).data, status=status.HTTP_201_CREATED)
