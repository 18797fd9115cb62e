"""No N+1: list and detail endpoints use a fixed number of queries whatever the number of rows."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from editorial.audit import record_event
from editorial.services import articles as article_services
from tests.factories import PASSWORD, make_article, make_user, reviewed_article, sign_decision

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"

# Upper bounds per request (token, permissions, then the endpoint's own reads). Measured on SQLite and
# PostgreSQL: list 5, detail 7, assignments 8, audit events 5, history 6, revisions 6, revision 6; the
# bounds leave 2 queries of room for new fields, the equality checks catch any N+1.
MAX_QUERIES = {"articles": 7, "detail": 9, "assignments": 10, "audit": 7, "revisions": 8}


def count_queries(api, path: str, expect_rows: int | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200, response.content
    if expect_rows is not None:
        assert len(response.json()["results"]) == expect_rows
    print(f"queries {path}: {len(ctx.captured_queries)}")  # shown with -s
    return len(ctx.captured_queries)


def board_members(n: int, offset: int = 0):
    return [make_user("board", username=f"member{offset + i}") for i in range(n)]


def test_article_list_does_not_grow(api, author, editor, django_assert_max_num_queries):
    for n in range(3):
        make_article(author, title=f"Small {n}", topic="lipids")
    api.as_user(editor)
    small = count_queries(api, ARTICLES, 3)
    for n in range(27):
        make_article(author if n % 2 else editor, title=f"More {n}", topic="lipids")
    large = count_queries(api, ARTICLES, 30)
    assert small == large, (small, large)
    with django_assert_max_num_queries(MAX_QUERIES["articles"]):
        api.get(ARTICLES + "?topic=lipids&state=draft")


def test_article_list_for_board_member_with_assignments_does_not_grow(api, author, editor):
    members = board_members(2)
    reviewed_article(author, editor, members)
    api.as_user(members[0])
    small = count_queries(api, ARTICLES + "?assigned_to=me", 1)
    for _ in range(4):
        reviewed_article(author, editor, members)
    large = count_queries(api, ARTICLES + "?assigned_to=me", 5)
    assert small == large <= MAX_QUERIES["articles"], (small, large)


def _approved_by(n: int, author, editor, offset: int):
    members = board_members(n, offset)
    article = reviewed_article(author, editor, members, quorum=10)
    for member in members:
        sign_decision(article, verdict="approve", actor=member, password=PASSWORD, comment="Fine")
    return article


def test_article_detail_does_not_grow_with_decisions(api, author, editor, django_assert_max_num_queries):
    one = _approved_by(1, author, editor, 0)
    five = _approved_by(5, author, editor, 10)
    api.as_user(editor)
    r1 = api.get(f"{ARTICLES}{one.pk}/").json()
    r5 = api.get(f"{ARTICLES}{five.pk}/").json()
    assert (r1["approvals"], r5["approvals"]) == (1, 5)
    small = count_queries(api, f"{ARTICLES}{one.pk}/")
    large = count_queries(api, f"{ARTICLES}{five.pk}/")
    assert small == large, (small, large)
    with django_assert_max_num_queries(MAX_QUERIES["detail"]):
        api.get(f"{ARTICLES}{five.pk}/")


def test_assignments_list_does_not_grow(api, author, editor, django_assert_max_num_queries):
    one = _approved_by(1, author, editor, 0)
    five = _approved_by(5, author, editor, 10)
    api.as_user(editor)
    small = count_queries(api, f"{ARTICLES}{one.pk}/assignments/", 1)
    large = count_queries(api, f"{ARTICLES}{five.pk}/assignments/", 5)
    assert small == large, (small, large)
    results = api.get(f"{ARTICLES}{five.pk}/assignments/").json()["results"]
    assert all(len(a["decisions"]) == 1 and a["conflict"]["has_conflict"] is False for a in results)
    assert all(a["reviewer_name"] and a["decisions"][0]["signature"] for a in results)
    with django_assert_max_num_queries(MAX_QUERIES["assignments"]):
        api.get(f"{ARTICLES}{five.pk}/assignments/")


def _events(n: int, actors, article) -> None:
    with transaction.atomic():
        for i in range(n):
            record_event(
                "test.event", actor=actors[i % len(actors)], obj=article, article_id=article.pk, after={"i": i}
            )


def test_audit_events_list_does_not_grow(api, author, editor, auditor, django_assert_max_num_queries):
    article = make_article(author)
    _events(9, [author, editor], article)  # + article.create = 10
    api.as_user(auditor)
    small = count_queries(api, "/api/v1/audit/events/?page_size=500", 10)
    _events(90, [author, editor, auditor], article)
    large = count_queries(api, "/api/v1/audit/events/?page_size=500", 100)
    assert small == large, (small, large)
    with django_assert_max_num_queries(MAX_QUERIES["audit"]):
        api.get(f"/api/v1/audit/events/?article={article.pk}&actor=editor&action=test.event")
    history_small = count_queries(api, f"{ARTICLES}{article.pk}/history/?page_size=10", 10)
    history_large = count_queries(api, f"{ARTICLES}{article.pk}/history/?page_size=100", 100)
    assert history_small == history_large, (history_small, history_large)


def test_revisions_list_does_not_grow(api, author, editor, django_assert_max_num_queries):
    article = make_article(author)
    api.as_user(author)
    small = count_queries(api, f"{ARTICLES}{article.pk}/revisions/", 1)
    for n in range(9):
        article_services.edit_article(article, actor=author if n % 2 else editor, title=f"Title {n}")
    large = count_queries(api, f"{ARTICLES}{article.pk}/revisions/", 10)
    assert small == large, (small, large)
    with django_assert_max_num_queries(MAX_QUERIES["revisions"]):
        api.get(f"{ARTICLES}{article.pk}/revisions/")


def test_revision_detail_does_not_grow_with_references(api, author):
    few = make_article(author)
    many = make_article(
        author,
        body=" ".join(f"[{n}]" for n in range(1, 41)),
        references=[{"kind": "research", "citation": f"Ref {n}"} for n in range(40)],
    )
    api.as_user(author)
    small = count_queries(api, f"{ARTICLES}{few.pk}/revisions/1/")
    large = count_queries(api, f"{ARTICLES}{many.pk}/revisions/1/")
    assert small == large, (small, large)
