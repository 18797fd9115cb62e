"""What is shown as reviewed is what was signed: the plain-language summary is part of the revision, and a
signature names the revision its signer read (API.md "Articles and revisions", "Workflow")."""

from __future__ import annotations

import pytest

from articles.models import Article, Revision
from editorial.models import AuditEvent
from reviewers.models import Decision
from tests.factories import PASSWORD, make_article, reviewed_article
from tests.pages.public.helpers import json_ld, page_url
from tests.workflow.helpers import article_url, assert_error, snapshot

pytestmark = pytest.mark.django_db


def fresh(article) -> Article:
    return Article.objects.select_related("current_revision").get(pk=article.pk)


def test_a_summary_alone_makes_a_new_revision_with_its_own_hash(api, author):
    article = make_article(author, plain_language_summary="First words")
    response = api.as_user(author).patch(
        article_url(article), {"plain_language_summary": "Second words"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["current_revision"], response.json()["plain_language_summary"]) == (2, "Second words")
    first, second = (api.get(article_url(article) + f"revisions/{n}/").json() for n in (1, 2))
    assert (first["plain_language_summary"], second["plain_language_summary"]) == ("First words", "Second words")
    assert first["body"] == second["body"] and first["content_hash"] != second["content_hash"]
    event = AuditEvent.objects.filter(action="revision.create").last()
    assert event.after["changed"] == ["plain_language_summary"]


def test_the_summary_cannot_change_once_submitted(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved", plain_language_summary="Reviewed words")
    before = snapshot(article)
    response = api.as_user(author).patch(article_url(article), {"plain_language_summary": "New"}, format="json")
    assert_error(response, 409, "invalid_transition")
    assert snapshot(article) == before


def test_unreviewed_summary_words_never_reach_the_public_page(api, client, author, editor, board, publish):
    """The hole: approve with summary A, revise, change only the summary to B, publish again."""
    article = publish(reviewed_article(author, editor, [board], state="approved", plain_language_summary="Reviewed"))
    api.as_user(author).post(article_url(article) + "transitions/revise/", {}, format="json")
    api.patch(article_url(article), {"plain_language_summary": "Never reviewed"}, format="json")
    # The editor publishes again (after approval: the approved revision, revision 1, with its own summary).
    response = api.as_user(editor).post(article_url(article) + "publish/", {"revision": 1}, format="json")
    assert_error(response, 409, "already_live")
    html = client.get(page_url(article)).content.decode()
    assert "Never reviewed" not in html
    assert "Reviewed" in html and json_ld(html)["description"] == "Reviewed"
    response = api.as_user(editor).post(article_url(article) + "publish/", {"revision": 2}, format="json")
    assert_error(response, 409, "not_approved")


def test_a_version_shows_its_own_revisions_summary(client, author, editor, board, publish, api):
    article = publish(reviewed_article(author, editor, [board], state="approved", plain_language_summary="One"))
    api.as_user(author).post(article_url(article) + "transitions/revise/", {}, format="json")
    api.patch(article_url(article), {"plain_language_summary": "Two"}, format="json")
    api.post(article_url(article) + "transitions/submit/", {}, format="json")
    api.as_user(editor).post(article_url(article) + "transitions/start_review/", {}, format="json")
    signed = api.as_user(board).post(
        article_url(article) + "transitions/approve/", {"password": PASSWORD, "revision": 2}, format="json"
    )
    assert signed.status_code == 200, signed.json()
    article = publish(fresh(article))
    assert "Two" in client.get(page_url(article)).content.decode()
    older = client.get(page_url(article, 1)).content.decode()
    assert "One" in older and "<p>Two</p>" not in older


def test_a_decision_must_name_the_revision(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    before = snapshot(article)
    response = api.as_user(board).post(article_url(article) + "transitions/approve/", {"password": PASSWORD},
                                       format="json")  # fmt: skip
    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {"revision": ["This field is required."]}
    assert snapshot(article) == before


def test_a_stale_page_signs_nothing(api, author, editor, board):
    """A reviewer reads revision 1; the author revises and resubmits revision 2; the stale signature is refused."""
    article = reviewed_article(author, editor, [board], state="changes_requested")
    api.as_user(author).post(article_url(article) + "transitions/revise/", {}, format="json")
    api.patch(article_url(article), {"body": "A better body [1] and [2]."}, format="json")
    api.post(article_url(article) + "transitions/submit/", {}, format="json")
    api.as_user(editor).post(article_url(article) + "transitions/start_review/", {}, format="json")
    before, decisions, events = snapshot(article), Decision.objects.count(), AuditEvent.objects.count()
    response = api.as_user(board).post(
        article_url(article) + "transitions/approve/", {"password": PASSWORD, "revision": 1}, format="json"
    )
    body = assert_error(response, 409, "stale_revision")
    assert body["current_revision"] == 2
    assert (snapshot(article), Decision.objects.count(), AuditEvent.objects.count()) == (before, decisions, events)
    signed = api.post(article_url(article) + "transitions/approve/", {"password": PASSWORD, "revision": 2},
                      format="json")  # fmt: skip
    assert signed.status_code == 200
    decision = Decision.objects.get(revision__number=2)
    assert decision.revision_hash == Revision.objects.get(article=article, number=2).content_hash


def test_the_signature_shows_the_revision_and_its_hash(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved")
    [assignment] = api.as_user(editor).get(article_url(article) + "assignments/").json()["results"]
    [decision] = assignment["decisions"]
    revision = fresh(article).current_revision
    assert decision["signature"].endswith(f" — revision 1, SHA-256 {revision.content_hash}")
    assert decision["revision_hash"] == revision.content_hash


def test_a_machine_draft_names_its_model(api, author):
    body = {
        "title": "Can corticosteroids help?",
        "body": "Dexamethasone 4-8 mg daily [1].",
        "references": [{"kind": "guideline", "citation": "A guideline"}],
        "source": {"kind": "machine", "model": "gpt-x-2026-10", "note": "Drafted from the Q&A pipeline"},
    }
    created = api.as_user(author).post("/api/v1/articles/", body, format="json")
    assert created.status_code == 201
    revision = api.get(article_url(Article.objects.get()) + "revisions/1/").json()
    assert revision["source"] == {"kind": "machine", "model": "gpt-x-2026-10", "note": "Drafted from the Q&A pipeline"}
    no_model = api.post("/api/v1/articles/", {**body, "source": {"kind": "machine"}}, format="json")
    assert assert_error(no_model, 400, "invalid")["errors"] == {
        "source": {"model": ["Name the model that drafted it."]}
    }
    assert Article.objects.count() == 1
