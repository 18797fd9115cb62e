"""How a revision was drafted (API.md "Articles and revisions", `source`): the API takes and returns it, the
desk pages show it, and the public page and its JSON-LD say "Drafted with AI assistance" for a version whose
revision a machine drafted, beside who reviewed it and when."""

from __future__ import annotations

import pytest
from django.test import Client

from articles.models import Article, Revision
from editorial.models import AuditEvent
from tests.factories import make_article, reviewed_article
from tests.pages.public.helpers import json_ld, page_url
from tests.workflow.helpers import article_url

pytestmark = pytest.mark.django_db

MACHINE = {"kind": "machine", "model": "gpt-x-2026-10", "note": "Drafted from the Q&A pipeline"}
HUMAN = {"kind": "human", "model": "", "note": ""}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_revision_is_a_persons_unless_the_client_says_otherwise(api, author):
    created = api.as_user(author).post(
        "/api/v1/articles/",
        {"title": "Q?", "body": "Text [1].", "references": [{"kind": "guideline", "citation": "G"}]},
        format="json",
    )
    assert created.status_code == 201
    article = Article.objects.get()
    assert api.get(article_url(article) + "revisions/1/").json()["source"] == HUMAN


def test_patch_records_the_source_of_the_new_revision_only(api, author):
    article = make_article(author)
    client = api.as_user(author)
    response = client.patch(article_url(article), {"body": article.current_revision.body + " More [1].",
                                                   "source": MACHINE}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    # An edit without `source` is a person's again: provenance is per revision, never inherited.
    response = client.patch(article_url(article), {"change_summary": "tidy", "title": "New title?"}, format="json")
    assert response.status_code == 200
    sources = [client.get(article_url(article) + f"revisions/{n}/").json()["source"] for n in (1, 2, 3)]
    assert sources == [HUMAN, MACHINE, HUMAN]
    listed = client.get(article_url(article) + "revisions/").json()["results"]
    assert [r["source"]["kind"] for r in listed] == ["human", "machine", "human"]
    event = AuditEvent.objects.filter(action="revision.create", after__revision=2).get()
    assert event.after["source"] == MACHINE


def test_patch_refuses_a_machine_source_without_its_model(api, author):
    article = make_article(author)
    response = api.as_user(author).patch(article_url(article), {"title": "Other?", "source": {"kind": "machine"}},
                                         format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {"source": {"model": ["Name the model that drafted it."]}}
    assert Revision.objects.filter(article=article).count() == 1


def test_public_page_of_a_machine_drafted_version_says_so_beside_the_review(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved", source=MACHINE))
    html = client.get(page_url(article)).content.decode()
    assert "Drafted with AI assistance" in html
    status = html.split('id="review-status"')[1].split("</section>")[0]
    assert status.index("Drafted with AI assistance") < status.index("Reviewed by")  # beside who and when
    assert "gpt-x-2026-10" not in html and "Q&amp;A pipeline" not in html  # the desk's detail stays on the desk
    data = json_ld(html)
    assert data["creditText"] == "Drafted with AI assistance"
    assert data["isBasedOn"] == {
        "@type": "CreativeWork",
        "name": "Draft generated with AI assistance",
        "creativeWorkStatus": "Draft",
    }
    assert data["reviewedBy"]


def test_public_page_of_a_human_version_says_nothing_of_ai(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved"))
    html = client.get(page_url(article)).content.decode()
    assert "AI assistance" not in html
    data = json_ld(html)
    assert "isBasedOn" not in data and "creditText" not in data


def test_a_pending_machine_version_says_so_too(client, author, editor, board, publish):
    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate",
                               source=MACHINE)  # fmt: skip
    html = client.get(page_url(publish(article))).content.decode()
    assert "Drafted with AI assistance" in html and "Reviewed by" not in html
    assert json_ld(html)["creditText"] == "Drafted with AI assistance"


def test_each_version_tells_its_own_revisions_source(client, api, author, editor, board, publish):
    """v1 machine-drafted, v2 rewritten by a person: each page tells the truth about its own revision."""
    from tests.factories import PASSWORD

    article = publish(reviewed_article(author, editor, [board], state="approved", source=MACHINE))
    api.as_user(author).post(article_url(article) + "transitions/revise/", {}, format="json")
    api.patch(article_url(article), {"title": "Rewritten by hand?"}, format="json")
    api.post(article_url(article) + "transitions/submit/", {}, format="json")
    api.as_user(editor).post(article_url(article) + "transitions/start_review/", {}, format="json")
    signed = api.as_user(board).post(article_url(article) + "transitions/approve/",
                                     {"password": PASSWORD, "revision": 2}, format="json")  # fmt: skip
    assert signed.status_code == 200, signed.json()
    article = publish(Article.objects.get(pk=article.pk))
    assert "AI assistance" not in client.get(page_url(article)).content.decode()
    assert "Drafted with AI assistance" in client.get(page_url(article, 1)).content.decode()


def test_workspace_history_and_audit_timeline_show_the_model(author, editor, board, auditor):
    article = reviewed_article(author, editor, [board], state="under_review", source=MACHINE)
    workspace = signed_in(board).get(f"/desk/articles/{article.pk}/").content.decode()
    header = workspace.split('id="revision-source"')[1].split("</p>")[0]
    assert "Drafted by a machine (gpt-x-2026-10)" in header and "Drafted from the Q&amp;A pipeline" in header
    history = workspace.split('id="revision-list"')[1].split("</ol>")[0]
    assert 'data-source="machine"' in history and "gpt-x-2026-10" in history
    timeline = signed_in(auditor).get(f"/desk/audit/articles/{article.pk}/").content.decode()
    table = timeline.split('id="audit-revisions"')[1].split("</table>")[0]
    assert 'data-source="machine"' in table and "Drafted by a machine (gpt-x-2026-10)" in table


def test_a_persons_revision_is_shown_as_such(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    workspace = signed_in(board).get(f"/desk/articles/{article.pk}/").content.decode()
    assert "Written by a person" in workspace.split('id="revision-source"')[1].split("</p>")[0]


def test_the_api_history_names_the_model_of_each_revision(api, author):
    article = make_article(author, source=MACHINE)
    client = api.as_user(author)
    client.patch(article_url(article), {"title": "By hand now?"}, format="json")
    events = client.get(article_url(article) + "history/").json()["results"]
    sources = [e["after"]["source"] for e in events if e["action"] in ("article.create", "revision.create")]
    assert sources == [MACHINE, HUMAN]
