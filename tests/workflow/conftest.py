import importlib

import pytest
from django.contrib.auth.models import Group, Permission

from editorial.models import AuditChainHead
from tests.workflow.helpers import article_in

ROLE_PERMISSIONS = importlib.import_module("editorial.migrations.0003_roles").ROLE_PERMISSIONS


@pytest.fixture
def build(author, editor, board):
    """`build(state, **fields)`: an article in that state, `board` assigned and declared unconflicted."""

    def _build(state, **fields):
        return article_in(state, author=author, editor=editor, reviewer=board, **fields)

    return _build


@pytest.fixture(autouse=True)
def _roles_for_transactional_tests(request):
    """A transactional test may follow another one's flush, which leaves no role groups: make them again."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    AuditChainHead.objects.get_or_create(pk=1)
