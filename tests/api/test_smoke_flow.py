"""The whole review, through the API, as the roles would take it."""

import pytest

from editorial.audit import verify_chain
from editorial.models import AuditEvent
from tests.factories import BODY, PASSWORD, REFERENCES

pytestmark = pytest.mark.django_db


def test_article_goes_from_draft_to_approved(api, author, editor, board, board2):
    created = api.as_user(author).post(
        "/api/v1/articles/", {"title": "Do statins work?", "body": BODY, "references": REFERENCES}, format="json"
    )
    assert created.status_code == 201, created.json()
    article = created.json()
    assert article["state"] == "draft" and article["current_revision"] == 1
    url = f"/api/v1/articles/{article['id']}/"

    assert api.post(url + "transitions/submit/").json()["state"] == "submitted"
    api.as_user(editor)
    assert api.post(url + "assignments/", {"reviewer": "board1"}, format="json").status_code == 201
    assert api.post(url + "transitions/start_review/").json()["state"] == "under_review"

    api.as_user(board)
    assert api.get(url + "transitions/").json() == []  # no declaration on file yet
    assert api.post(url + "conflicts/", {"has_conflict": False}, format="json").status_code == 201
    assert api.get(url + "transitions/").json() == [
        {"name": "request_changes", "target": "changes_requested"},
        {"name": "approve", "target": "approved"},
        {"name": "reject", "target": "rejected"},
    ]
    approved = api.post(url + "transitions/approve/", {"password": PASSWORD, "revision": 1}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert approved.json()["approvals"] == 1

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == [
        "article.create",
        "article.submit",
        "assignment.create",
        "article.start_review",
        "conflict.declare",
        "decision.approve",
        "article.approve",
    ]
    assert verify_chain().ok
