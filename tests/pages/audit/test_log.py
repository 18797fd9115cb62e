"""The audit log page: filters, pagination, export links (the API's, and the page's own files)."""

import csv
import io
import json
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from articles.models import ArticleState
from editorial.models import AuditEvent
from tests.factories import make_article, make_user, reviewed_article
from tests.pages.editor.helpers import HOSTILE, assert_inert, count_queries, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("audit-log")


def link(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    tag_start = html.rindex("<a ", 0, start)
    href = html[tag_start:].split('href="', 1)[1].split('"', 1)[0]
    return href.replace("&amp;", "&")


@pytest.mark.parametrize("role", ["auditor", "editor"])
def test_auditors_and_editors_read_the_log(role, author):
    make_article(author)
    response = signed_in(make_user(role)).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="audit-log"' in html and "article.create" in html


@pytest.mark.parametrize("role", ["author", "board"])
def test_other_roles_are_forbidden(role):
    assert signed_in(make_user(role)).get(URL).status_code == 403


def test_filters(author, editor, board, auditor):
    first = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW, title="First article")
    second = make_article(author, title="Second article")
    client = signed_in(auditor)

    html = client.get(URL, {"article": first.pk}).content.decode()
    assert "article.start_review" in html and f"article {second.pk}<" not in html

    html = client.get(URL, {"actor": "editor"}).content.decode()
    table = html[html.index('id="audit-log"') :]
    assert "assignment.create" in table and "article.create" not in table

    response = client.get(URL, {"action": ["article.submit", "article.start_review"]})
    assert response.context["page"].paginator.count == 2
    response = client.get(URL, {"action": "article.submit,article.create"})
    assert response.context["page"].paginator.count == 3

    last = AuditEvent.objects.order_by("seq").last()
    response = client.get(URL, {"since": last.at.isoformat()})
    assert [e.seq for e in response.context["page"]] == [last.seq]
    response = client.get(URL, {"until": "2000-01-01"})
    assert response.context["page"].paginator.count == 0
    # A date-time without a zone is UTC, as on every page.
    response = client.get(URL, {"since": last.at.strftime("%Y-%m-%dT%H:%M:%S.%f")})
    assert [e.seq for e in response.context["page"]] == [last.seq]


@pytest.mark.parametrize(
    ("params", "sentence"), [({"since": "yesterday"}, "Since:"), ({"article": "x"}, "Article must")]
)
def test_malformed_filters_are_a_message(auditor, params, sentence):
    response = signed_in(auditor).get(URL, params)
    assert response.status_code == 400
    assert sentence in response.content.decode()


def test_hostile_reasons_are_inert(author, editor, board, auditor):
    from editorial.services import workflow

    article = reviewed_article(author, editor, [board], state=ArticleState.DRAFT)
    workflow.withdraw_article(article, actor=author, comment=HOSTILE)
    assert_inert(signed_in(auditor).get(URL).content.decode())


def test_pagination_keeps_the_filters(author, auditor):
    for i in range(55):
        make_article(author, title=f"Article {i}")
    client = signed_in(auditor)
    response = client.get(URL, {"actor": "author"})
    assert response.context["page"].paginator.count == 55
    assert response.context["page"].paginator.num_pages == 2
    assert 'href="?actor=author&amp;page=2" rel="next"' in response.content.decode()
    second = client.get(URL, {"actor": "author", "page": 2})
    assert second.context["page"].number == 2
    assert [e.seq for e in second.context["page"]] == list(range(51, 56))


def test_export_links_carry_the_filters_and_work_in_a_browser_session(author, editor, board, auditor):
    article = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW)
    client = signed_in(auditor)
    html = client.get(URL, {"article": article.pk, "since": "2000-01-01", "action": "article.submit"}).content.decode()

    csv_link = link(html, "export-csv")
    parsed = urlparse(csv_link)
    assert parsed.path == "/api/v1/audit/events/"
    query = parse_qs(parsed.query)
    assert query["format"] == ["csv"] and query["article"] == [str(article.pk)]
    assert query["since"] == ["2000-01-01T00:00:00+00:00"] and query["action"] == ["article.submit"]
    response = client.get(csv_link)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "seq" and [r[4] for r in rows[1:]] == ["article.submit"]

    json_link = link(html, "export-json")
    response = client.get(json_link)
    assert response.status_code == 200 and [e["action"] for e in response.json()["results"]] == ["article.submit"]


@pytest.mark.parametrize("role", ["auditor", "editor"])
def test_page_side_export_files(role, author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW)
    make_article(author, title="Unrelated")
    client = signed_in(make_user(role))
    expected = list(AuditEvent.objects.filter(article_id=article.pk).order_by("seq").values_list("seq", flat=True))

    response = client.get(reverse("audit-export", args=["json"]), {"article": article.pk})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('audit-events.json"')
    rows = json.loads(b"".join(response.streaming_content))
    assert [r["seq"] for r in rows] == expected
    assert set(rows[0]) >= {"seq", "at", "actor", "action", "before", "after", "reason", "hash", "prev_hash"}

    response = client.get(reverse("audit-export", args=["csv"]), {"article": article.pk})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r[0]) for r in lines[1:]] == expected


def test_page_side_export_roles_and_formats(auditor):
    assert signed_in(make_user("author")).get(reverse("audit-export", args=["csv"])).status_code == 403
    assert signed_in(auditor).get(reverse("audit-export", args=["xml"])).status_code == 404
    response = signed_in(auditor).get(reverse("audit-export", args=["csv"]), {"since": "soon"})
    assert response.status_code == 302 and response["Location"].startswith(URL)


def test_query_count_does_not_grow_with_events(author, editor, board, auditor, django_assert_max_num_queries):
    client = signed_in(auditor)
    reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW)
    small = count_queries(lambda: client.get(URL))
    for _ in range(6):
        reviewed_article(author, editor, [board, make_user("board")], state=ArticleState.APPROVED)
    assert AuditEvent.objects.count() > 50
    with django_assert_max_num_queries(small):
        client.get(URL)
