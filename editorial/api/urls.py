"""The /api/v1/ routes."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import schema  # noqa: F401  (registers the schema extensions before the schema is generated)
from .views import annotations as annotation_views
from .views import articles as article_views
from .views import audit as audit_views
from .views import auth as auth_views
from .views import claims as claim_views
from .views import notifications as notification_views
from .views import publishing as publishing_views
from .views import retractions as retraction_views
from .views import workflow as workflow_views

article = "articles/<int:article_id>/"

urlpatterns = [
    path("auth/token/", auth_views.TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", auth_views.TokenRevoke.as_view(), name="api-token-revoke"),
    path("auth/token/revoke/all/", auth_views.TokenRevoke.as_view(everywhere=True), name="api-token-revoke-all"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("articles/", article_views.ArticleListCreate.as_view(), name="api-articles"),
    path(article, article_views.ArticleDetail.as_view(), name="api-article"),
    path(article + "revisions/", article_views.RevisionList.as_view(), name="api-revisions"),
    path(article + "revisions/<int:number>/", article_views.RevisionDetail.as_view(), name="api-revision"),
    path(article + "revisions/<int:a>/diff/<int:b>/", article_views.RevisionDiff.as_view(), name="api-revision-diff"),
    path(article + "transitions/", workflow_views.TransitionList.as_view(), name="api-transitions"),
    path(article + "transitions/<str:name>/", workflow_views.TransitionTake.as_view(), name="api-transition"),
    path(article + "assignments/", workflow_views.AssignmentListCreate.as_view(), name="api-assignments"),
    path(article + "assignments/suggestions/", workflow_views.AssignmentSuggestions.as_view(), name="api-suggestions"),
    path(
        article + "assignments/<int:assignment_id>/accept/",
        workflow_views.AssignmentRespond.as_view(accept=True),
        name="api-assignment-accept",
    ),
    path(
        article + "assignments/<int:assignment_id>/decline/",
        workflow_views.AssignmentDecline.as_view(),
        name="api-assignment-decline",
    ),
    path(article + "conflicts/", workflow_views.ConflictListCreate.as_view(), name="api-conflicts"),
    path(article + "annotations/", annotation_views.AnnotationListCreate.as_view(), name="api-annotations"),
    path(
        article + "annotations/<int:annotation_id>/", annotation_views.AnnotationDetail.as_view(), name="api-annotation"
    ),
    path(
        article + "annotations/<int:annotation_id>/replies/",
        annotation_views.AnnotationReply.as_view(),
        name="api-annotation-replies",
    ),
    path(
        article + "annotations/<int:annotation_id>/resolve/",
        annotation_views.AnnotationResolve.as_view(),
        name="api-annotation-resolve",
    ),
    path(
        article + "annotations/<int:annotation_id>/reopen/",
        annotation_views.AnnotationResolve.as_view(reopen=True),
        name="api-annotation-reopen",
    ),
    path(
        article + "annotations/<int:annotation_id>/accept/",
        annotation_views.AnnotationAccept.as_view(),
        name="api-annotation-accept",
    ),
    path(article + "claims/", claim_views.ClaimListVerify.as_view(), name="api-claims"),
    path(article + "history/", audit_views.ArticleHistory.as_view(), name="api-history"),
    path(article + "publish/", publishing_views.Publish.as_view(), name="api-publish"),
    path(
        article + "publish/<int:request_id>/cancel/",
        publishing_views.PublishCancel.as_view(),
        name="api-publish-cancel",
    ),
    path(article + "versions/", publishing_views.VersionList.as_view(), name="api-versions"),
    path(article + "retract/", publishing_views.Retract.as_view(), name="api-retract"),
    path("notifications/", notification_views.NotificationList.as_view(), name="api-notifications"),
    path(
        "notifications/preferences/",
        notification_views.NotificationPreferences.as_view(),
        name="api-notification-preferences",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        notification_views.NotificationRead.as_view(),
        name="api-notification-read",
    ),
    path("reference-retractions/", retraction_views.RetractionListCreate.as_view(), name="api-reference-retractions"),
    path("audit/events/", audit_views.AuditEventList.as_view(), name="api-audit-events"),
    path("audit/verify/", audit_views.AuditVerify.as_view(), name="api-audit-verify"),
]
