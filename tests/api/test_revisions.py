"""API.md "Articles and revisions": PATCH makes an immutable new revision; revisions, snapshots, diffs."""

import pytest

from articles.models import Article, ArticleState, Revision
from articles.rendering import render_body
from editorial.models import AuditEvent
from editorial.services import workflow
from tests.factories import BODY, REFERENCES, make_article, reviewed_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"


def url(article, rest=""):
    return f"{ARTICLES}{article.pk}/{rest}"


def test_patch_creates_the_next_revision_and_keeps_the_first(api, author):
    article = make_article(author)
    first = api.as_user(author).get(url(article, "revisions/1/")).json()

    response = api.patch(url(article), {"body": BODY + "\n\nMore [2].", "change_summary": "More detail"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["current_revision"] == 2
    assert response.json()["title"] == "Do statins prevent heart attacks?"  # unchanged fields carried over
    assert api.get(url(article, "revisions/1/")).json() == first  # revision 1 unchanged
    second = api.get(url(article, "revisions/2/")).json()
    assert second["body"] == BODY + "\n\nMore [2]." and second["change_summary"] == "More detail"
    assert second["author"] == "author"
    assert [r["citation"] for r in second["references"]] == [r["citation"] for r in REFERENCES]
    assert second["content_hash"] != first["content_hash"]

    response = api.patch(url(article), {"title": "Third"}, format="json")
    assert response.json()["current_revision"] == 3 and response.json()["title"] == "Third"
    assert Revision.objects.filter(article=article).count() == 3
    assert AuditEvent.objects.filter(action="revision.create").count() == 2


def test_patch_replaces_references(api, author):
    article = make_article(author)
    refs = [{"kind": "guideline", "citation": "Only one", "doi": "10.1/x", "url": "https://example.org/"}]
    api.as_user(author).patch(url(article), {"body": "Just one [1].", "references": refs}, format="json")
    data = api.get(url(article, "revisions/2/")).json()
    assert data["references"] == [
        {
            "number": 1,
            "kind": "guideline",
            "citation": "Only one",
            "year": None,
            "doi": "10.1/x",
            "pmid": "",
            "url": "https://example.org/",
        },
    ]
    assert len(api.get(url(article, "revisions/1/")).json()["references"]) == 2


def test_editor_may_patch_any_article(api, author, editor):
    article = make_article(author)
    response = api.as_user(editor).patch(url(article), {"title": "Edited by editor"}, format="json")
    assert response.status_code == 200
    assert api.get(url(article, "revisions/2/")).json()["author"] == "editor"


@pytest.mark.parametrize(
    "state",
    [
        ArticleState.SUBMITTED,
        ArticleState.UNDER_REVIEW,
        ArticleState.APPROVED,
        ArticleState.REJECTED,
        ArticleState.WITHDRAWN,
    ],
)
def test_patch_outside_draft_or_changes_requested_is_409(api, author, editor, board, state):
    article = reviewed_article(author, editor, [board], state=state)
    events = AuditEvent.objects.count()
    response = api.as_user(author if state != ArticleState.WITHDRAWN else editor).patch(
        url(article), {"body": "Changed [1] [2]."}, format="json"
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    assert Revision.objects.filter(article=article).count() == 1
    assert AuditEvent.objects.count() == events


def test_patch_in_changes_requested_is_allowed(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.CHANGES_REQUESTED)
    response = api.as_user(author).patch(url(article), {"body": BODY + "\n\nFixed."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["current_revision"] == 2
    assert response.json()["state"] == "changes_requested"


def test_patch_by_another_author_is_404(api, author, other_author):
    article = make_article(author)
    response = api.as_user(other_author).patch(url(article), {"title": "Mine now"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Revision.objects.filter(article=article).count() == 1


@pytest.mark.parametrize("user", ["board", "auditor"])
def test_patch_by_who_may_see_but_not_edit_is_403(api, author, editor, board, auditor, user):
    article = reviewed_article(author, editor, [board], state=ArticleState.CHANGES_REQUESTED)
    who = {"board": board, "auditor": auditor}[user]
    response = api.as_user(who).patch(url(article), {"title": "Hijack"}, format="json")
    assert response.status_code == 403
    assert Revision.objects.filter(article=article).count() == 1


@pytest.mark.parametrize(
    "change", [{"quorum": 3}, {"required_specialties": ["oncology"]}, {"publication_policy": "immediate"}]
)
def test_author_changing_review_settings_is_403_editor_may(api, author, editor, change):
    article = make_article(author)
    response = api.as_user(author).patch(url(article), {**change, "title": "With settings"}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    fresh = Article.objects.get(pk=article.pk)
    assert (fresh.quorum, fresh.required_specialties, fresh.publication_policy) == (1, [], "after_approval")
    assert Revision.objects.filter(article=article).count() == 1

    response = api.as_user(editor).patch(url(article), change, format="json")
    assert response.status_code == 200, response.content
    field, value = next(iter(change.items()))
    assert response.json()[field] == value
    assert response.json()["current_revision"] == 1  # settings alone make no revision
    assert AuditEvent.objects.filter(action="article.settings").count() == 1


def test_author_may_set_quorum_when_creating(api, author):
    response = api.as_user(author).post(
        ARTICLES, {"title": "Q", "body": BODY, "references": REFERENCES, "quorum": 2}, format="json"
    )
    assert response.status_code == 201 and response.json()["quorum"] == 2


@pytest.mark.parametrize("quorum", [0, 11])
def test_quorum_out_of_range_is_400(api, editor, author, quorum):
    article = make_article(author)
    response = api.as_user(editor).patch(url(article), {"quorum": quorum}, format="json")
    assert response.status_code == 400 and "quorum" in response.json()["errors"]


def test_empty_patch_is_400(api, author):
    article = make_article(author)
    response = api.as_user(author).patch(url(article), {}, format="json")
    assert response.status_code == 400
    assert Revision.objects.filter(article=article).count() == 1


def test_stale_base_revision_is_409_concurrent_change(api, author, editor):
    article = make_article(author)
    assert (
        api.as_user(editor).patch(url(article), {"title": "Editor's", "base_revision": 1}, format="json").status_code
        == 200
    )
    response = api.as_user(author).patch(url(article), {"title": "Author's", "base_revision": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_change"
    assert Revision.objects.filter(article=article).count() == 2
    assert api.get(url(article)).json()["title"] == "Editor's"
    # With the current base it goes through.
    response = api.patch(url(article), {"title": "Author's", "base_revision": 2}, format="json")
    assert response.status_code == 200 and response.json()["current_revision"] == 3


def test_future_base_revision_is_409(api, author):
    article = make_article(author)
    response = api.as_user(author).patch(url(article), {"title": "x", "base_revision": 7}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "concurrent_change"


def test_revisions_list(api, author, editor):
    article = make_article(author)
    api.as_user(author).patch(url(article), {"title": "Two", "change_summary": "Retitled"}, format="json")
    api.as_user(editor).patch(url(article), {"title": "Three"}, format="json")
    response = api.get(url(article, "revisions/"))
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"count", "next", "previous", "results"} and page["count"] == 3
    assert [r["number"] for r in page["results"]] == [1, 2, 3]
    assert [r["author"] for r in page["results"]] == ["author", "author", "editor"]
    assert page["results"][1]["change_summary"] == "Retitled"
    assert {"number", "author", "created_at", "change_summary"} <= set(page["results"][0])
    assert page["results"][0]["created_at"].endswith(("Z", "+00:00"))


def test_revision_detail_snapshot(api, author):
    article = make_article(author)
    response = api.as_user(author).get(url(article, "revisions/1/"))
    assert response.status_code == 200
    data = response.json()
    assert {"number", "author", "created_at", "title", "body", "text", "html", "references"} <= set(data)
    assert data["number"] == 1 and data["body"] == BODY
    assert data["html"] == render_body(BODY).html
    assert '<a class="citation" href="#ref-1"' in data["html"]
    assert data["text"] == render_body(BODY).text  # the plain text annotation positions count in
    assert data["text"] == Revision.objects.get(article=article, number=1).text
    assert [r["number"] for r in data["references"]] == [1, 2]
    assert data["references"][1] == {
        "number": 2,
        "kind": "research",
        "citation": REFERENCES[1]["citation"],
        "year": 2016,
        "doi": "",
        "pmid": "12345",
        "url": "",
    }


def test_revision_text_follows_each_edit(api, author):
    article = make_article(author)
    new_body = "# Heading\n\n*Emphasis* and a [link](https://example.org/) [1] [2].\n\n- item"
    api.as_user(author).patch(url(article), {"body": new_body}, format="json")
    data = api.get(url(article, "revisions/2/")).json()
    assert data["text"] == render_body(new_body).text == "Heading\n\nEmphasis and a link [1] [2].\n\nitem"


def test_unknown_revision_is_404(api, author):
    article = make_article(author)
    api.as_user(author)
    assert api.get(url(article, "revisions/2/")).status_code == 404
    assert api.get(url(article, "revisions/0/")).status_code == 404
    assert api.get(url(article, "revisions/1/diff/2/")).status_code == 404


def test_revision_of_another_article_is_not_reachable(api, author, other_author):
    mine = make_article(author)
    theirs = make_article(other_author)
    api.as_user(other_author).patch(url(theirs), {"title": "Theirs 2"}, format="json")
    api.as_user(author)
    assert api.get(url(mine, "revisions/2/")).status_code == 404
    assert api.get(url(theirs, "revisions/1/")).status_code == 404
    assert api.get(url(theirs, "revisions/")).status_code == 404


def test_diff_endpoint(api, author):
    article = make_article(author)
    api.as_user(author).patch(
        url(article), {"title": "A <b>new</b> title", "body": BODY + "\n\nAdded <i>line</i> & more."}, format="json"
    )
    response = api.get(url(article, "revisions/1/diff/2/"))
    assert response.status_code == 200
    diff = response.json()
    assert set(diff) == {"from", "to", "changes", "html", "page", "pages", "rows"}
    assert (diff["page"], diff["pages"]) == (1, 1)
    assert diff["from"] == 1 and diff["to"] == 2
    fields = [c["field"] for c in diff["changes"]]
    assert fields == ["title", "body"]
    title_change = diff["changes"][0]
    assert title_change["op"] == "replace" and title_change["new"] == "A <b>new</b> title"
    assert "Added <i>line</i> & more." in diff["changes"][1]["new"]
    html = diff["html"]
    assert "&lt;b&gt;" in html and "&lt;i&gt;" in html
    assert "<b>" not in html and "<i>" not in html
    assert "&amp;" in html
    # Backwards works too.
    back = api.get(url(article, "revisions/2/diff/1/")).json()
    assert back["from"] == 2 and back["to"] == 1 and back["changes"][0]["new"] == "Do statins prevent heart attacks?"


def test_diff_of_a_revision_with_itself_is_empty(api, author):
    article = make_article(author)
    diff = api.as_user(author).get(url(article, "revisions/1/diff/1/")).json()
    assert diff["changes"] == []


def test_revise_then_patch(api, author, editor, board):
    """After approval the author revises to draft and edits: a new, unapproved revision."""
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    workflow.revise_article(article, actor=author)
    response = api.as_user(author).patch(url(article), {"body": BODY + "\n\nUpdated."}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["state"] == "draft" and data["current_revision"] == 2 and data["approvals"] == 0


def test_adjacent_citation_markers_satisfy_the_citation_check(api, author):
    """`[1][2]` cites both references: submitting is not refused as citations_incomplete."""
    created = (
        api.as_user(author)
        .post(
            ARTICLES,
            {"title": "Adjacent", "body": "Statins lower LDL [1][2].", "references": REFERENCES},
            format="json",
        )
        .json()
    )
    html = api.get(f"{ARTICLES}{created['id']}/revisions/1/").json()["html"]
    assert 'href="#ref-1"' in html and 'href="#ref-2"' in html
    response = api.post(f"{ARTICLES}{created['id']}/transitions/submit/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"


def test_submit_with_unmatched_citations_is_409_naming_them(api, author):
    created = (
        api.as_user(author)
        .post(ARTICLES, {"title": "Unmatched", "body": "Claim [1] and [3].", "references": REFERENCES}, format="json")
        .json()
    )
    response = api.post(f"{ARTICLES}{created['id']}/transitions/submit/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "citations_incomplete" and "[3]" in body["detail"]
    assert body["missing"] == [3] and body["uncited"] == [2]
    assert api.get(f"{ARTICLES}{created['id']}/").json()["state"] == "draft"


@pytest.mark.parametrize("pmid", ["١٢٣", "１２３", "12a", "1 2"])
def test_a_pmid_is_ascii_digits_only(api, author, pmid):
    """PubMed ids are ASCII digits: other scripts' digits would make a broken PubMed link."""
    refs = [{"kind": "research", "citation": "A cohort", "pmid": pmid}]
    response = api.as_user(author).post(ARTICLES, {"title": "T", "body": "A [1].", "references": refs}, format="json")
    assert response.status_code == 400 and "references" in response.json()["errors"]
    assert not Article.objects.exists()
