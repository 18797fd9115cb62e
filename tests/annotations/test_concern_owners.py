"""A blocking concern is closed only by whoever raised it or an editor; the article's author answers it with a
reply. Reopening one on an approved article puts the article back under review (API.md "Annotations")."""

from __future__ import annotations

import pytest

from articles.models import Article
from editorial.models import AuditEvent
from editorial.services import annotations as annotation_services
from editorial.services import publishing
from reviewers.models import Annotation
from tests.annotations.helpers import ann_url, created, snapshot
from tests.factories import PASSWORD, sign_decision
from tests.pages.public.helpers import page_url, stepper_status

pytestmark = pytest.mark.django_db

QUOTE = "Muscle aches are the most commonly reported side effect"


@pytest.fixture
def concern(api, article, board):
    return created(api.as_user(board), article, QUOTE, kind="safety", body="Dose unclear")


@pytest.fixture
def note(api, article, board):
    return created(api.as_user(board), article, "A trial found fewer events", kind="comment", body="Which trial?")


@pytest.mark.parametrize("action", ["resolve/", "reopen/"])
def test_the_author_cannot_close_or_reopen_a_blocking_concern(api, article, author, board, concern, action):
    if action == "reopen/":
        api.as_user(board).post(ann_url(article, concern["id"], "resolve/"), {}, format="json")
    before = snapshot()
    response = api.as_user(author).post(ann_url(article, concern["id"], action), {"body": "Done"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert "raised this blocking concern" in response.json()["detail"]
    assert snapshot() == before


def test_another_board_member_cannot_close_it_either(api, article, board2, concern):
    response = api.as_user(board2).post(ann_url(article, concern["id"], "resolve/"), {}, format="json")
    assert response.status_code == 403
    assert Annotation.objects.get(pk=concern["id"]).status == "open"


@pytest.mark.parametrize("who", ["board", "editor"])
def test_its_creator_or_an_editor_closes_it(api, article, concern, who, request):
    response = api.as_user(request.getfixturevalue(who)).post(
        ann_url(article, concern["id"], "resolve/"), {"body": "Clarified"}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "resolved")


def test_the_author_still_closes_a_comment_and_replies_to_a_concern(api, article, author, concern, note):
    assert api.as_user(author).post(ann_url(article, note["id"], "resolve/"), {}, format="json").status_code == 200
    reply = api.post(ann_url(article, concern["id"], "replies/"), {"body": "Dose now stated."}, format="json")
    assert reply.status_code == 201


def test_the_author_sees_no_resolve_button_on_a_concern(client, article, author, concern, note):
    client.force_login(author)
    page = client.get(f"/desk/articles/{article.pk}/").content.decode()
    concern_thread = page.split(f'id="annotation-{concern["id"]}"')[1].split("</li>")[0]
    note_thread = page.split(f'id="annotation-{note["id"]}"')[1].split("</li>")[0]
    assert 'data-action="resolve"' not in concern_thread and 'data-action="reply"' in concern_thread
    assert 'data-action="resolve"' in note_thread


def test_reopening_a_concern_on_an_approved_article_puts_it_back_under_review(
    api, client, article, board, board2, editor, concern, django_capture_on_commit_callbacks
):
    api.as_user(board).post(ann_url(article, concern["id"], "resolve/"), {"body": "Clarified"}, format="json")
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    article = Article.objects.get(pk=article.pk)
    assert article.state == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        publishing.request_publication(article, actor=editor)
    reopened = api.as_user(board).post(
        ann_url(article, concern["id"], "reopen/"), {"body": "The dose is still wrong for children"}, format="json"
    )
    assert reopened.status_code == 200
    article = Article.objects.get(pk=article.pk)
    assert (article.state, article.review_round, article.rereview_reason) == ("under_review", 2, "concern")
    event = AuditEvent.objects.filter(action="article.start_rereview").get()
    assert event.after["reason"] == "concern" and f"#{concern['id']}" in event.reason
    # Approval is blocked again until the concern is closed, and the reader is told.
    transitions = [t["name"] for t in api.as_user(board2).get(f"/api/v1/articles/{article.pk}/transitions/").json()]
    assert "approve" not in transitions
    html = client.get(page_url(article)).content.decode()
    assert "Under review again: a board member reopened a safety concern about this version." in html
    assert stepper_status(html) == "approved"  # the signed approval stands until the board decides again


def test_reopening_a_comment_on_an_approved_article_leaves_it_approved(api, article, board, note):
    annotation_services.resolve_annotation(Annotation.objects.get(pk=note["id"]), actor=board)
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    api.as_user(board).post(ann_url(article, note["id"], "reopen/"), {}, format="json")
    assert Article.objects.get(pk=article.pk).state == "approved"
