"""Suggestions: the author (or an editor) accepts one, which makes a new revision with the replacement."""

import pytest

from articles.models import Article, Revision
from editorial.services import workflow
from reviewers.models import Annotation
from tests.annotations.helpers import ann_url, created, listed, snapshot, url

pytestmark = pytest.mark.django_db

EARLY = "Statins lower LDL cholesterol"
REPLACEMENT = "Statins reduce LDL cholesterol by a third"
TRIAL = "A trial found fewer events"


def accept(api, article, annotation_id):
    return api.post(ann_url(article, annotation_id, "accept/"), format="json")


@pytest.mark.parametrize("state", ["changes_requested", "draft"])
def test_the_author_accepts_a_suggestion(api, build, board, author, state):
    article = build("changes_requested")
    api.as_user(board)
    suggestion = created(api, article, EARLY, kind="suggestion", suggestion=REPLACEMENT, body="More precise.")
    other = created(api, article, TRIAL, kind="citation_needed")
    if state == "draft":
        workflow.revise_article(article, actor=author)
    old_body = Revision.objects.get(article=article, number=1).body

    response = accept(api.as_user(author), article, suggestion["id"])
    assert response.status_code == 200, response.json()
    accepted = response.json()
    assert (accepted["status"], accepted["accepted_revision"], accepted["resolved_by"]) == ("resolved", 2, "author")

    article = Article.objects.get(pk=article.pk)
    assert article.state == state
    assert article.current_revision.number == 2
    assert article.current_revision.body == old_body.replace(EARLY, REPLACEMENT)
    assert REPLACEMENT in api.get(url(article, "revisions/2/")).json()["text"]
    assert Annotation.objects.get(pk=suggestion["id"]).accepted_revision == article.current_revision

    # The accepted suggestion stays on revision 1 and is not carried; the other annotation is.
    assert set(listed(api, article, 2)) == {other["id"]}
    assert listed(api, article, 1)[suggestion["id"]]["status"] == "resolved"
    assert listed(api, article, 2)[other["id"]]["anchoring"] == "exact"


def test_an_editor_accepts_a_suggestion(api, build, board, editor):
    article = build("changes_requested")
    suggestion = created(api.as_user(board), article, EARLY, kind="suggestion", suggestion=REPLACEMENT)
    response = accept(api.as_user(editor), article, suggestion["id"])
    assert response.status_code == 200, response.json()
    assert response.json()["accepted_revision"] == 2


def test_accepting_during_review_is_a_conflict(api, article, board, author):
    suggestion = created(api.as_user(board), article, EARLY, kind="suggestion", suggestion=REPLACEMENT)
    before = snapshot()
    response = accept(api.as_user(author), article, suggestion["id"])
    assert response.status_code == 409, response.json()
    assert snapshot() == before
    assert Annotation.objects.get(pk=suggestion["id"]).status == "open"


def test_only_suggestions_can_be_accepted(api, build, board, author):
    article = build("changes_requested")
    for kind in ("comment", "citation_needed", "safety"):
        comment = created(api.as_user(board), article, EARLY, kind=kind)
        before = snapshot()
        response = accept(api.as_user(author), article, comment["id"])
        assert response.status_code == 409, kind
        assert response.json()["code"] == "not_a_suggestion"
        assert snapshot() == before


def test_only_the_author_or_an_editor_accepts(api, build, board, board2, auditor, outsider):
    article = build("changes_requested")
    suggestion = created(api.as_user(board), article, EARLY, kind="suggestion", suggestion=REPLACEMENT)
    before = snapshot()
    for user in (board, board2, auditor, outsider):
        response = accept(api.as_user(user), article, suggestion["id"])
        assert response.status_code == 403, user.username
    assert snapshot() == before


def test_accepting_twice_is_a_conflict(api, build, board, author):
    article = build("changes_requested")
    suggestion = created(api.as_user(board), article, EARLY, kind="suggestion", suggestion=REPLACEMENT)
    assert accept(api.as_user(author), article, suggestion["id"]).status_code == 200
    before = snapshot()
    assert accept(api, article, suggestion["id"]).status_code == 409
    assert snapshot() == before


def test_a_suggestion_needs_its_text(api, article, board):
    api.as_user(board)
    before = snapshot()
    response = api.post(
        url(article, "annotations/"),
        {
            "revision": 1,
            "kind": "suggestion",
            "body": "Reword",
            "target": {"selector": [{"type": "TextQuoteSelector", "exact": EARLY}]},
        },
        format="json",
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_an_orphaned_suggestion_cannot_be_accepted(api, build, board, author):
    article = build("changes_requested")
    suggestion = created(api.as_user(board), article, EARLY, kind="suggestion", suggestion=REPLACEMENT)
    body = article.current_revision.body.replace("Statins lower LDL cholesterol [1].\n\n", "Cited [1].\n\n")
    assert api.as_user(author).patch(url(article), {"body": body}, format="json").status_code == 200
    assert listed(api, article)[suggestion["id"]]["status"] == "orphaned"
    before = snapshot()
    response = accept(api, article, suggestion["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "suggestion_not_applicable"
    assert snapshot() == before


def test_a_suggestion_on_a_repeated_passage_replaces_the_one_it_was_made_on(api, build, board, author):
    article = build("changes_requested")
    body = "Statins are cheap.\n\nSome text in between [1] [2].\n\nStatins are cheap."
    assert api.as_user(author).patch(url(article), {"body": body}, format="json").status_code == 200
    suggestion = created(
        api.as_user(board),
        article,
        "Statins are cheap",
        occurrence=1,
        kind="suggestion",
        suggestion="Generic statins are cheap",
    )
    assert accept(api.as_user(author), article, suggestion["id"]).status_code == 200
    new_body = Article.objects.get(pk=article.pk).current_revision.body
    assert new_body == "Statins are cheap.\n\nSome text in between [1] [2].\n\nGeneric statins are cheap."


def test_a_suggestion_is_applied_where_it_was_made_when_markup_shifts_the_body(api, build, board, author):
    """Markdown that is longer than its text (a long link) must not make the wrong occurrence change."""
    article = build("changes_requested")
    link = "[the guideline](https://example.org/" + "x" * 400 + ") [1] [2]"
    body = f"Statins are cheap.\n\nStatins are cheap.\n\nStatins are cheap. See {link}."
    assert api.as_user(author).patch(url(article), {"body": body}, format="json").status_code == 200
    text = api.get(url(article, "revisions/2/")).json()["text"]
    assert text.count("Statins are cheap") == 3 and "example.org" not in text
    suggestion = created(
        api.as_user(board),
        article,
        "Statins are cheap",
        occurrence=1,
        kind="suggestion",
        suggestion="Generic statins are cheap",
    )
    assert accept(api.as_user(author), article, suggestion["id"]).status_code == 200
    new_body = Article.objects.get(pk=article.pk).current_revision.body
    assert new_body == f"Statins are cheap.\n\nGeneric statins are cheap.\n\nStatins are cheap. See {link}."
