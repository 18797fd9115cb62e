"""Who sees which page: the workspace for anyone who may see the article (404 otherwise), role pages 403."""

import pytest
from django.urls import reverse

from articles.models import ArticleState
from tests.factories import make_article
from tests.pages.workspace.helpers import workspace_url

pytestmark = pytest.mark.django_db


def test_workspace_for_every_role_that_may_see_it(signed_in, article, author, board, outsider, editor, auditor):
    for user in (author, board, outsider, editor, auditor):
        response = signed_in(user).get(workspace_url(article))
        assert response.status_code == 200, user.username
        assert 'id="revision-text"' in response.content.decode()


def test_workspace_is_404_for_another_author(signed_in, article, other_author):
    assert signed_in(other_author).get(workspace_url(article)).status_code == 404
    assert signed_in(other_author).get(reverse("workspace-diff", args=[article.pk, 1, 1])).status_code == 404


def test_a_draft_is_404_for_board_members_until_submitted(signed_in, author, board, editor, auditor):
    draft = make_article(author)
    assert signed_in(board).get(workspace_url(draft)).status_code == 404
    for user in (author, editor, auditor):
        assert signed_in(user).get(workspace_url(draft)).status_code == 200


def test_unknown_article_and_revision_are_404(signed_in, article, editor):
    client = signed_in(editor)
    assert client.get(reverse("workspace", args=[article.pk + 1000])).status_code == 404
    assert client.get(workspace_url(article, revision=9)).status_code == 404
    assert client.get(workspace_url(article) + "?revision=x").status_code == 404
    assert client.get(reverse("workspace-diff", args=[article.pk, 1, 9])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, article):
    for name, args in (
        ("workspace", [article.pk]),
        ("author-desk", []),
        ("review-queue", []),
        ("article-new", []),
        ("article-edit", [article.pk]),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("author-desk", {"author", "editor"}),
        ("article-new", {"author", "editor"}),
        ("review-queue", {"board"}),
    ],
)
def test_role_pages(signed_in, name, allowed, author, board, editor, auditor):
    for role, user in (("author", author), ("board", board), ("editor", editor), ("auditor", auditor)):
        status = signed_in(user).get(reverse(name)).status_code
        assert status == (200 if role in allowed else 403), (name, role)


def test_edit_page(signed_in, author, other_author, board, editor, auditor, build):
    draft = build("revised_draft")
    url = reverse("article-edit", args=[draft.pk])
    assert signed_in(author).get(url).status_code == 200
    assert signed_in(editor).get(url).status_code == 200
    assert signed_in(other_author).get(url).status_code == 404
    assert signed_in(board).get(url).status_code == 403
    assert signed_in(auditor).get(url).status_code == 403


def test_what_each_role_is_offered(signed_in, article, author, board, outsider, editor, auditor):
    """Forms appear only for those whose service would accept them; the services still decide."""
    pages = {
        u.username: signed_in(u).get(workspace_url(article)).content.decode()
        for u in (author, board, outsider, editor, auditor)
    }
    assert 'id="annotation-form"' in pages["board1"]
    assert 'id="annotation-form"' in pages["editor"]
    for name in ("author", "board_outsider", "auditor"):
        assert 'id="annotation-form"' not in pages[name], name
    assert 'id="decision-form"' in pages["board1"]
    for name in ("author", "board_outsider", "editor", "auditor"):
        assert 'id="decision-form"' not in pages[name], name
    assert "You are not assigned to review this article." in pages["board_outsider"]
    assert 'data-transition="withdraw"' in pages["author"]
    assert 'data-transition="withdraw"' in pages["editor"]
    assert 'id="conflict-form"' in pages["board1"] and 'id="conflict-form"' in pages["board_outsider"]
    assert 'id="conflict-form"' not in pages["author"]
    auditor_page = pages["auditor"]
    assert auditor_page.count('method="post"') == 1  # only the header's sign-out form
    assert "data-transition" not in auditor_page


def test_draft_offers_its_author_submit_and_edit(signed_in, author):
    draft = make_article(author)
    page = signed_in(author).get(workspace_url(draft)).content.decode()
    assert 'data-transition="submit"' in page
    assert reverse("article-edit", args=[draft.pk]) in page
    assert draft.state == ArticleState.DRAFT
