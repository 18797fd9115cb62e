"""Django admin: records are read-only; article transitions go through the same services as the API."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_fsm.admin import FSMAdminMixin

from articles.models import Article, Reference, Revision
from editorial.exceptions import EditorialError
from editorial.models import AuditEvent
from editorial.services.workflow import take_transition
from reviewers.models import Assignment, BoardMember, ConflictDeclaration, Decision


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record: shown, never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(FSMAdminMixin, admin.ModelAdmin):
    fsm_fields = ["state"]
    list_display = ["slug", "state", "created_by", "quorum", "publication_policy", "updated_at"]
    list_filter = ["state", "publication_policy"]
    search_fields = ["slug", "topic"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Article._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # articles are created through the API or the author desk, with a first revision

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        pass  # every field is read-only; content changes make revisions through the services

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        # django-fsm-2's admin applies any POSTed transition without checking its permission
        # (a forged form approves an article). Route it through the service, which checks
        # the role, the object-level rules and the state, and writes the audit event.
        kwargs = kwargs or {}
        try:
            take_transition(
                obj,
                transition_name,
                actor=request.user,
                comment=kwargs.get("comment", ""),
                password=kwargs.get("password"),
            )
        except EditorialError as error:
            self.message_user(request, f"{transition_name}: {error.detail}", messages.ERROR)
            return False
        self.message_user(request, f"{transition_name}: done.", messages.SUCCESS)
        return True


class RevisionReferences(admin.TabularInline):
    model = Reference
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Reference._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["article", "number", "title", "author", "created_at"]
    inlines = [RevisionReferences]


@admin.register(BoardMember)
class BoardMemberAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "user", "credentials_valid_until", "active"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["article", "reviewer", "status", "due", "assigned_at"]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["article", "member", "has_conflict", "declared_at"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["article", "revision", "reviewer", "verdict", "signed_name", "signed_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor_name", "action", "object_type", "object_id", "article_id"]
    list_filter = ["action"]


# Roles change only through `manage.py add_user`, which writes an audit event; the stock user and
# group admin would change permissions without one.
admin.site.unregister(get_user_model())
admin.site.unregister(Group)
