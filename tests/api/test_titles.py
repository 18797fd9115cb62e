"""A title is one line: it goes into email subjects, page titles and feeds. A line break anywhere in it is
refused with 400 naming the field (create and edit; the form: tests/pages/workspace), and nothing is written."""

import pytest

from articles.models import Article, Revision
from editorial.models import AuditEvent
from tests.factories import REFERENCES, make_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"
BREAKS = ["Aspirin\nBcc: x@example.org", "A\rB", "A\r\nB", "A\u2028B", "A\u2029B", "A\x85B", "A\vB", "A\fB"]


@pytest.mark.parametrize("title", BREAKS)
def test_create_refuses_a_title_with_a_line_break(api, author, title):
    body = {"title": title, "body": "Text [1] [2].", "references": REFERENCES}
    response = api.as_user(author).post(ARTICLES, body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "invalid" and list(data["errors"]) == ["title"]
    assert "one line" in data["detail"] and "one line" in data["errors"]["title"][0]
    assert not Article.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("title", BREAKS[:3])
def test_edit_refuses_a_title_with_a_line_break(api, author, title):
    article = make_article(author)
    events = AuditEvent.objects.count()
    response = api.as_user(author).patch(f"{ARTICLES}{article.pk}/", {"title": title}, format="json")
    assert response.status_code == 400 and response.json()["errors"] == {
        "title": ["Must be one line: remove the line breaks."]
    }
    assert Revision.objects.filter(article=article).count() == 1 and AuditEvent.objects.count() == events


def test_trailing_line_breaks_are_trimmed_not_refused(api, author):
    response = api.as_user(author).post(
        ARTICLES, {"title": "  Aspirin?\r\n", "body": "Text [1] [2].", "references": REFERENCES}, format="json"
    )
    assert response.status_code == 201 and response.json()["title"] == "Aspirin?"
