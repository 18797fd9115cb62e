"""The author's desk, the article form (new and edit), the live preview and its citation check."""

import pytest
from django.urls import reverse

from articles.models import Article, ArticleState, Revision
from editorial.services import annotations as annotation_services
from tests.factories import BODY, make_article
from tests.pages.workspace.helpers import audit_count, selectors_for, shown, snapshot, workspace_url

pytestmark = pytest.mark.django_db


def article_data(
    title="Is coffee bad for the heart?", body="Coffee is fine [1].\r\n\r\nMostly [2].", refs=None, **extra
):
    refs = (
        refs
        if refs is not None
        else [
            {"kind": "guideline", "citation": "Heart guideline", "year": "2021"},
            {"kind": "research", "citation": "Coffee cohort", "pmid": "998877", "url": "https://example.org/c"},
        ]
    )
    rows = [*refs, {"kind": "research", "citation": ""}]  # an empty row is ignored
    data = {
        "title": title,
        "body": body,
        "references-TOTAL_FORMS": str(len(rows)),
        "references-INITIAL_FORMS": "0",
        "references-MIN_NUM_FORMS": "0",
        "references-MAX_NUM_FORMS": "200",
        **extra,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"references-{i}-{key}"] = value
    return data


def test_new_article_form_creates_a_draft(signed_in, author):
    client = signed_in(author)
    page = client.get(reverse("article-new")).content.decode()
    for label in ('for="id_title"', 'for="id_body"', 'for="id_references-0-citation"', 'for="id_references-0-kind"'):
        assert label in page
    assert f'hx-post="{reverse("article-preview")}"' in page
    response = client.post(reverse("article-new"), article_data())
    article = Article.objects.get()
    assert response["Location"] == workspace_url(article)
    revision = article.current_revision
    assert (article.state, article.created_by, revision.number) == (ArticleState.DRAFT, author, 1)
    assert revision.body == "Coffee is fine [1].\n\nMostly [2]."  # CRLF from the browser stored as LF
    refs = [r.as_dict() for r in revision.references.all()]
    assert [(r["number"], r["kind"], r["citation"], r["year"], r["pmid"], r["url"]) for r in refs] == [
        (1, "guideline", "Heart guideline", 2021, "", ""),
        (2, "research", "Coffee cohort", None, "998877", "https://example.org/c"),
    ]


def test_invalid_rows_keep_everything_typed(signed_in, author):
    client = signed_in(author)
    data = article_data(
        refs=[
            {"kind": "research", "citation": "", "doi": "10.1/x"},
            {"kind": "research", "citation": "Ok", "pmid": "12ab"},
        ]
    )
    response = client.post(reverse("article-new"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A reference row needs its citation" in page and "Digits only." in page
    assert "Is coffee bad for the heart?" in page and "10.1/x" in page
    assert not Article.objects.exists()
    assert not Article.objects.exists() and "Please correct the fields marked below." in shown(response)


def test_add_row_and_preview_work_without_javascript(signed_in, author):
    client = signed_in(author)
    data = article_data(action="add_row")
    response = client.post(reverse("article-new"), data)
    page = response.content.decode()
    assert 'name="references-TOTAL_FORMS" value="4"' in page and 'id="id_references-3-citation"' in page
    assert "Heart guideline" in page
    response = client.post(reverse("article-new"), article_data(body="Coffee **is** fine [1] [3].", action="preview"))
    page = response.content.decode()
    assert "<strong>is</strong>" in page
    assert "Citations do not match the references: no reference for [3]; never cited: reference 2." in page
    assert not Article.objects.exists()


def test_preview_fragment(signed_in, author, board):
    client = signed_in(author)
    response = client.post(reverse("article-preview"), article_data(body="Fine [1] and [2]."), HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert 'data-complete="true"' in fragment and "Every citation marker has a reference" in fragment
    response = client.post(reverse("article-preview"), article_data(body="Fine [1].", refs=[]))
    assert "no reference for [1]" in response.content.decode()
    assert signed_in(board).post(reverse("article-preview"), article_data()).status_code == 403
    too_long = client.post(reverse("article-preview"), {"body": "x" * 200_001}).content.decode()
    assert "longer than 200,000 characters" in too_long


def test_editing_makes_a_new_revision_with_only_the_changes(signed_in, author):
    draft = make_article(author)
    client = signed_in(author)
    page = client.get(reverse("article-edit", args=[draft.pk])).content.decode()
    assert 'name="base_revision" value="1"' in page and "Statins lower LDL cholesterol [1]." in page
    refs = [
        {k: ("" if v is None else v) for k, v in r.as_dict().items() if k != "number"}
        for r in draft.current_revision.references.all()
    ]
    data = article_data(
        title="Do statins prevent heart attacks and strokes?",
        body=BODY,
        refs=refs,
        base_revision="1",
        change_summary="Strokes too",
    )
    response = client.post(reverse("article-edit", args=[draft.pk]), data)
    assert response["Location"] == workspace_url(draft)
    revision = Article.objects.get(pk=draft.pk).current_revision
    assert (revision.number, revision.title, revision.body, revision.change_summary) == (
        2,
        "Do statins prevent heart attacks and strokes?",
        BODY,
        "Strokes too",
    )
    assert revision.references.count() == 2
    # Nothing changed: the service says so, and no revision is made.
    response = client.post(
        reverse("article-edit", args=[draft.pk]), {**data, "base_revision": "2", "change_summary": ""}
    )
    assert shown(response)[-1] == "Nothing to change."
    assert Revision.objects.filter(article=draft).count() == 2


def test_a_stale_edit_is_refused(signed_in, author, editor):
    draft = make_article(author)
    data = article_data(base_revision="1")
    signed_in(editor).post(reverse("article-edit", args=[draft.pk]), data)
    before = snapshot(draft)
    response = signed_in(author).post(reverse("article-edit", args=[draft.pk]), {**data, "title": "Mine?"})
    assert response.status_code == 200
    assert shown(response) == ["This edit was based on revision 1, but revision 2 is current."]
    assert "Mine?" in response.content.decode()
    assert snapshot(draft) == before


def test_editing_in_the_wrong_state_is_refused(signed_in, build, author):
    article = build(ArticleState.UNDER_REVIEW)
    client = signed_in(author)
    page = client.get(reverse("article-edit", args=[article.pk])).content.decode()
    assert 'id="not-editable"' in page
    before, events = snapshot(article), audit_count()
    response = client.post(reverse("article-edit", args=[article.pk]), article_data(title="Changed?"))
    assert "An article that is under review cannot be edited" in " ".join(shown(response))
    assert snapshot(article) == before and audit_count() == events


def test_wrong_roles_and_other_authors(signed_in, author, other_author, board, auditor):
    draft = make_article(author)
    before, events = snapshot(draft), audit_count()
    assert signed_in(other_author).post(reverse("article-edit", args=[draft.pk]), article_data()).status_code == 404
    for user in (board, auditor):
        assert signed_in(user).post(reverse("article-edit", args=[draft.pk]), article_data()).status_code == 403
        assert signed_in(user).post(reverse("article-new"), article_data()).status_code == 403
    assert snapshot(draft) == before and audit_count() == events
    assert Article.objects.count() == 1


def test_author_desk_groups_by_state_with_open_annotations(signed_in, author, other_author, editor, board, build):
    draft = make_article(author, title="A draft?")
    under_review = build(ArticleState.UNDER_REVIEW, title="Under review?")
    text = under_review.current_revision.text
    for exact in ("LDL", "fewer events"):
        annotation_services.add_annotation(
            under_review, actor=board, revision_number=1, kind="comment", body="?", selectors=selectors_for(text, exact)
        )
    make_article(other_author, title="Someone else's?")
    page = signed_in(author).get(reverse("author-desk")).content.decode()
    assert page.index('id="state-draft"') < page.index(workspace_url(draft)) < page.index('id="state-under_review"')
    assert page.index('id="state-under_review"') < page.index(workspace_url(under_review))
    row = page[page.index(f'id="article-{under_review.pk}"') :]
    assert "<strong>2</strong> to answer" in row[: row.index("</tr>")]
    assert reverse("article-edit", args=[draft.pk]) in page
    assert reverse("article-edit", args=[under_review.pk]) not in page
    assert "Someone else&#x27;s?" not in page and "Someone else's?" not in page
    editor_page = signed_in(editor).get(reverse("author-desk")).content.decode()
    assert 'id="no-articles"' in editor_page


def test_the_form_marks_the_title_and_writes_nothing(signed_in, author):
    response = signed_in(author).post(reverse("article-new"), article_data(title="Coffee\r\nBcc: x@example.org"))
    assert response.status_code == 200
    assert "Must be one line: remove the line breaks." in response.content.decode()
    assert not Article.objects.exists()
