"""API.md: who may see which article (404 otherwise), and the article list with its filters and pages."""

import pytest

from articles.models import ArticleState
from editorial.services import workflow
from tests.factories import PASSWORD, make_article, make_user, reviewed_article, sign_decision

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [a["id"] for a in response.json()["results"]]


def test_other_author_gets_404_everywhere(api, author, other_author):
    article = make_article(author)
    api.as_user(other_author)
    base = f"{ARTICLES}{article.pk}/"
    for path in [
        "",
        "revisions/",
        "revisions/1/",
        "revisions/1/diff/1/",
        "transitions/",
        "assignments/",
        "conflicts/",
        "history/",
    ]:
        response = api.get(base + path)
        assert response.status_code == 404, (path, response.status_code)
        assert response.json()["code"] == "not_found"
    assert article.pk not in ids(api.get(ARTICLES))


def test_404_for_invisible_is_the_same_as_for_missing(api, author, other_author):
    article = make_article(author)
    api.as_user(other_author)
    assert api.get(f"{ARTICLES}{article.pk}/").json() == api.get(f"{ARTICLES}{article.pk + 999}/").json()


@pytest.mark.parametrize("who", ["author", "editor", "auditor"])
def test_author_editor_auditor_see_a_draft(api, author, editor, auditor, who):
    article = make_article(author)
    user = {"author": author, "editor": editor, "auditor": auditor}[who]
    response = api.as_user(user).get(f"{ARTICLES}{article.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == article.pk and data["state"] == "draft" and data["current_revision"] == 1
    assert {
        "id",
        "slug",
        "title",
        "state",
        "current_revision",
        "live_version",
        "quorum",
        "required_specialties",
        "approvals",
        "publication_policy",
    } <= set(data)
    assert data["live_version"] is None and data["approvals"] == 0
    assert article.pk in ids(api.get(ARTICLES))


def test_board_member_sees_an_article_once_submitted_and_from_then_on(api, author, editor, board, board2):
    article = make_article(author)
    detail = f"{ARTICLES}{article.pk}/"
    api.as_user(board2)  # never assigned
    assert api.get(detail).status_code == 404
    assert api.get(detail + "revisions/1/").status_code == 404
    assert article.pk not in ids(api.get(ARTICLES))

    workflow.submit_article(article, actor=author)
    assert api.get(detail).status_code == 200
    assert api.get(detail + "revisions/1/").status_code == 200
    assert article.pk in ids(api.get(ARTICLES))

    # Back to draft after changes were requested: still visible.
    article = reviewed_article(author, editor, [board], state=ArticleState.CHANGES_REQUESTED)
    workflow.revise_article(article, actor=author)
    for member in (board, board2):
        response = api.as_user(member).get(f"{ARTICLES}{article.pk}/")
        assert response.status_code == 200 and response.json()["state"] == "draft"


def test_board_member_keeps_seeing_a_withdrawn_article(api, author, board):
    article = make_article(author)
    workflow.submit_article(article, actor=author)
    workflow.withdraw_article(article, actor=author, comment="Out of date")
    assert api.as_user(board).get(f"{ARTICLES}{article.pk}/").json()["state"] == "withdrawn"


def test_board_member_never_sees_a_draft_withdrawn_before_submission(api, author, board):
    article = reviewed_article(author, None, [], state=ArticleState.WITHDRAWN)
    assert api.as_user(board).get(f"{ARTICLES}{article.pk}/").status_code == 404


def test_anonymous_and_inactive_see_nothing(api, author):
    article = make_article(author)
    assert api.get(f"{ARTICLES}{article.pk}/").status_code == 401
    api.as_user(author)
    author.is_active = False
    author.save()
    assert api.get(f"{ARTICLES}{article.pk}/").status_code == 401


def test_list_is_paginated(api, author):
    for n in range(3):
        make_article(author, title=f"Article {n}")
    response = api.as_user(author).get(ARTICLES + "?page_size=2")
    page = response.json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 3 and len(page["results"]) == 2 and page["previous"] is None
    assert page["next"] and "page=2" in page["next"]
    second = api.get(page["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    titles = [a["title"] for a in page["results"] + second["results"]]
    assert titles == ["Article 0", "Article 1", "Article 2"]  # oldest first


def test_list_filter_by_state(api, author, editor, board):
    draft = make_article(author)
    submitted = reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED)
    review = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW)
    api.as_user(editor)
    assert ids(api.get(ARTICLES + "?state=draft")) == [draft.pk]
    assert ids(api.get(ARTICLES + "?state=submitted")) == [submitted.pk]
    assert ids(api.get(ARTICLES + "?state=under_review")) == [review.pk]
    assert ids(api.get(ARTICLES + "?state=approved")) == []
    assert ids(api.get(ARTICLES)) == [draft.pk, submitted.pk, review.pk]
    # The filter narrows what the user may see; it never widens it.
    api.as_user(board)
    assert ids(api.get(ARTICLES + "?state=draft")) == []


@pytest.mark.parametrize("value", ["published", "DRAFT", "", "draft,submitted"])
def test_invalid_state_filter_is_400(api, author, value):
    make_article(author)
    response = api.as_user(author).get(ARTICLES, {"state": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "state" in body["errors"]


def test_list_filter_by_topic(api, author):
    lipids = make_article(author, topic="lipids")
    make_article(author, topic="oncology")
    untagged = make_article(author)
    api.as_user(author)
    assert ids(api.get(ARTICLES + "?topic=lipids")) == [lipids.pk]
    assert ids(api.get(ARTICLES + "?topic=nothing")) == []
    assert len(ids(api.get(ARTICLES + "?topic="))) == 3  # empty means no filter
    assert untagged.pk in ids(api.get(ARTICLES))


def test_list_filter_assigned_to_me(api, author, editor, board, board2):
    mine = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW)
    theirs = reviewed_article(author, editor, [board2], state=ArticleState.UNDER_REVIEW)
    both = reviewed_article(author, editor, [board, board2], state=ArticleState.SUBMITTED)
    api.as_user(board)
    assert ids(api.get(ARTICLES)) == [mine.pk, theirs.pk, both.pk]  # submitted: all visible
    assert ids(api.get(ARTICLES + "?assigned_to=me")) == [mine.pk, both.pk]  # no duplicates either
    api.as_user(board2)
    assert ids(api.get(ARTICLES + "?assigned_to=me")) == [theirs.pk, both.pk]
    api.as_user(editor)
    assert ids(api.get(ARTICLES + "?assigned_to=me")) == []
    assert api.get(ARTICLES + "?assigned_to=board1").status_code == 400


def test_list_filters_combine(api, author, editor, board):
    a = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW, topic="lipids")
    reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED, topic="lipids")
    reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW, topic="oncology")
    response = api.as_user(board).get(ARTICLES + "?assigned_to=me&state=under_review&topic=lipids")
    assert ids(response) == [a.pk]


def test_list_after_decision_has_no_duplicates(api, author, editor, board, board2):
    article = reviewed_article(author, editor, [board, board2], quorum=2)
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    sign_decision(article, verdict="approve", actor=board2, password=PASSWORD)
    for user in (board, editor):
        response = api.as_user(user).get(ARTICLES + "?assigned_to=me" if user == board else ARTICLES)
        assert ids(response) == [article.pk]
        assert response.json()["count"] == 1


def test_new_board_member_sees_submitted_articles(api, author):
    article = make_article(author)
    workflow.submit_article(article, actor=author)
    newcomer = make_user("board", username="newcomer")
    assert api.as_user(newcomer).get(f"{ARTICLES}{article.pk}/").status_code == 200


def test_assigned_to_me_keeps_an_article_another_member_declined(api, author, editor, board, board2):
    from editorial.services import assignments as assignment_services
    from reviewers.models import Assignment

    article = reviewed_article(author, editor, [board, board2], state="under_review")
    assignment_services.respond_to_assignment(
        Assignment.objects.get(article=article, reviewer=board2), actor=board2, accept=False, reason="Busy"
    )
    ids = [a["id"] for a in api.as_user(board).get("/api/v1/articles/?assigned_to=me").json()["results"]]
    assert ids == [article.pk]
    assert api.as_user(board2).get("/api/v1/articles/?assigned_to=me").json()["count"] == 0
