"""Every owner right also needs the role that grants it now: an author moved to another role keeps the record of
their articles, not the right to act on them (reply, resolve, reopen, accept a suggestion, edit, submit)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from articles.models import Article
from editorial.models import AuditEvent
from editorial.services import annotations as annotation_services
from reviewers.models import Annotation, AnnotationReply
from tests.factories import reviewed_article

pytestmark = pytest.mark.django_db

STRONG = "a long enough password 1"


@pytest.fixture
def former_author(author, editor, board):
    """`author`'s article with a suggestion and a comment on it, after `author` was made an auditor."""
    article = reviewed_article(author, editor, [board], state="under_review")
    text = article.current_revision.text
    quote = "Statins lower LDL cholesterol"
    start = text.index(quote)
    selectors = {"exact": quote, "start": start, "end": start + len(quote)}
    note = annotation_services.add_annotation(
        article, actor=board, revision_number=1, kind="comment", body="Which LDL?", selectors=selectors
    )
    suggestion = annotation_services.add_annotation(
        article, actor=board, revision_number=1, kind="suggestion", body="Shorter", suggestion="Statins lower LDL",
        selectors=selectors,
    )  # fmt: skip
    call_command("add_user", "author", role="auditor", password=STRONG, stdout=io.StringIO())
    return article, note, suggestion


def snapshot():
    return (
        list(Annotation.objects.values_list("pk", "status")),
        AnnotationReply.objects.count(),
        list(Article.objects.values_list("state", "current_revision_id")),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("action", ["reply", "resolve", "accept"])
def test_the_pages_refuse_a_former_author(former_author, action):
    article, note, suggestion = former_author
    target = suggestion if action == "accept" else note
    client = Client()
    client.post("/accounts/login/", {"username": "author", "password": STRONG})
    before = snapshot()
    response = client.post(f"/desk/articles/{article.pk}/annotations/{target.pk}/{action}/", {"body": "Done"})
    assert response.status_code in (302, 403)
    assert snapshot() == before


@pytest.mark.parametrize("path", ["replies/", "resolve/", "accept/"])
def test_the_api_refuses_a_former_author(api, author, former_author, path):
    article, note, suggestion = former_author
    target = suggestion if path == "accept/" else note
    before = snapshot()
    response = api.as_user(author).post(
        f"/api/v1/articles/{article.pk}/annotations/{target.pk}/{path}", {"body": "Done"}, format="json"
    )
    assert response.status_code == 403, response.json()
    assert snapshot() == before


def test_a_former_author_can_neither_edit_nor_withdraw(api, author, former_author):
    article, _, _ = former_author
    before = snapshot()
    api.as_user(author)
    assert api.patch(f"/api/v1/articles/{article.pk}/", {"title": "Mine still?"}, format="json").status_code == 403
    withdraw = api.post(f"/api/v1/articles/{article.pk}/transitions/withdraw/", {"comment": "Mine"}, format="json")
    assert withdraw.status_code == 403
    assert snapshot() == before


def test_a_former_author_cannot_reopen_a_resolved_note(api, author, board, former_author):
    article, note, _ = former_author
    annotation_services.resolve_annotation(note, actor=board, response="Clarified.")
    before = snapshot()
    response = api.as_user(author).post(
        f"/api/v1/articles/{article.pk}/annotations/{note.pk}/reopen/", {"reason": "Not clear"}, format="json"
    )
    assert response.status_code == 403, response.json()
    page = Client()
    page.post("/accounts/login/", {"username": "author", "password": STRONG})
    assert page.post(f"/desk/articles/{article.pk}/annotations/{note.pk}/reopen/", {"reason": "x"}).status_code in (
        302,
        403,
    )
    assert snapshot() == before
