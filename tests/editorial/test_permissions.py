"""editorial.permissions: who may do what, asked in permission terms by pages, API and services alike."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from editorial import permissions
from editorial.exceptions import Forbidden
from editorial.roles import AUDITORS
from tests.factories import make_user, reviewed_article

pytestmark = pytest.mark.django_db

ROLES = ("author", "board", "editor", "auditor")
# Role -> the role-level rights it holds.
EXPECTED = {
    "can_write_articles": {"author", "editor"},
    "can_edit_any_article": {"editor"},
    "can_review": {"board"},
    "can_start_review": {"editor"},
    "can_assign": {"editor"},
    "can_publish": {"editor"},
    "can_read_audit": {"editor", "auditor"},
    "can_verify_audit": {"auditor"},
    "can_triage_reader_reports": {"editor"},
    "can_declare_conflict": {"board"},
}


@pytest.mark.parametrize("check", sorted(EXPECTED))
def test_role_rights(check):
    users = {role: make_user(role, username=f"{role}-user") for role in ROLES}
    allowed = {role for role, user in users.items() if getattr(permissions, check)(user)}
    assert allowed == EXPECTED[check]


def test_a_deactivated_user_has_no_rights(editor):
    editor.is_active = False
    assert not any(getattr(permissions, check)(editor) for check in EXPECTED)


def test_owner_rights_need_the_role_that_grants_them_now(author, editor, board):
    article = reviewed_article(author, editor, [board], state="changes_requested")
    assert permissions.can_edit_article(article, author)
    assert permissions.can_edit_article(article, editor)
    assert not permissions.can_edit_article(article, board)
    author.groups.set([Group.objects.get(name=AUDITORS)])
    author = type(author).objects.get(pk=author.pk)  # permissions are cached per user object
    assert not permissions.can_edit_article(article, author)
    with pytest.raises(Forbidden):
        permissions.require_can_edit(article, author)


def test_transition_rights_by_role(author, editor, board, auditor):
    article = reviewed_article(author, editor, [board], state="under_review")
    table = {
        name: {
            who
            for who, user in (("author", author), ("editor", editor), ("board", board), ("auditor", auditor))
            if permissions.can_take_transition(article, name, user)
        }
        for name in ("submit", "start_review", "approve", "withdraw", "revise")
    }
    assert table == {
        "submit": {"author", "editor"},
        "start_review": {"editor"},
        "approve": {"board"},
        "withdraw": {"author", "editor"},
        "revise": {"author", "editor"},
    }


def test_an_unassigned_member_may_not_annotate_and_an_editor_may(author, editor, board, board2):
    article = reviewed_article(author, editor, [board], state="under_review")
    assert permissions.can_annotate(article, board) and permissions.can_annotate(article, editor)
    assert not permissions.can_annotate(article, board2)
    with pytest.raises(Forbidden) as refused:
        permissions.require_can_annotate(article, board2)
    assert refused.value.code == "not_assigned"
    assert not permissions.can_annotate(article, author)
