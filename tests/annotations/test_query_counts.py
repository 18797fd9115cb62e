"""The annotation list of a revision uses a constant number of queries, whatever the number of annotations."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from reviewers.anchoring import anchor_from_selectors
from reviewers.models import Annotation, AnnotationAnchor, AnnotationReply
from tests.annotations.helpers import url

pytestmark = pytest.mark.django_db

# Token and user, 2 for permissions, the article, the revision, the count, the page (anchors joined with their
# annotation, users and revisions), the replies with their authors: 7 on SQLite and PostgreSQL; 2 of room.
MAX_QUERIES = 9
QUOTES = ["Statins lower LDL cholesterol", "Muscle aches", "A trial found fewer events", "From the Research"]


def add_annotations(article, n: int, users: list, resolver) -> None:
    """n annotations with anchors, made with bulk_create; every tenth resolved, every seventh with replies."""
    article = Article.objects.select_related("current_revision").get(pk=article.pk)
    revision = article.current_revision
    anchors = [anchor_from_selectors(revision.text, quote) for quote in QUOTES]
    now = timezone.now()
    kinds = itertools.cycle(["comment", "suggestion", "citation_needed", "safety"])
    annotations = Annotation.objects.bulk_create(
        [
            Annotation(
                article=article,
                created_on_revision=revision,
                kind=(kind := next(kinds)),
                body=f"Note {i}",
                suggestion="Other words" if kind == "suggestion" else "",
                blocking=kind == "safety",
                created_by=users[i % len(users)],
                created_at=now,
                status="resolved" if i % 10 == 0 else "open",
                resolved_by=resolver if i % 10 == 0 else None,
                resolved_at=now if i % 10 == 0 else None,
            )
            for i in range(n)
        ]
    )
    assert all(a.pk for a in annotations)
    AnnotationAnchor.objects.bulk_create(
        [
            AnnotationAnchor.for_anchor(a, revision, anchor, "original")
            for a, anchor in zip(annotations, itertools.cycle(anchors), strict=False)
        ]
    )
    AnnotationReply.objects.bulk_create(
        [
            AnnotationReply(annotation=a, author=users[(i + j) % len(users)], body=f"Reply {j}", created_at=now)
            for i, a in enumerate(annotations)
            if i % 7 == 0
            for j in range(3)
        ]
    )


def count_queries(api, path: str, expect_rows: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == expect_rows
    return len(ctx.captured_queries)


def test_annotation_list_does_not_grow(api, article, board, board2, editor, author, django_assert_max_num_queries):
    users = [board, board2, editor]
    path = url(article, "annotations/?page_size=500")
    add_annotations(article, 10, users, author)
    api.as_user(editor)
    small = count_queries(api, path, 10)

    add_annotations(article, 990, users, author)
    assert AnnotationAnchor.objects.filter(revision__article=article).count() == 1000
    large = count_queries(api, path, 500)
    print(f"annotation list queries: {small}")  # shown with -s
    assert small == large <= MAX_QUERIES, (small, large)
    second_page = count_queries(api, path + "&page=2", 500)
    assert second_page == small

    # As a board member, and for an explicit revision, the same bound holds.
    api.as_user(board).get(url(article, "annotations/?page_size=1"))  # its token is made outside the count
    with django_assert_max_num_queries(MAX_QUERIES):
        response = api.get(url(article, "annotations/?revision=1&page_size=500"))
    data = response.json()
    assert data["count"] == 1000 and len(data["results"]) == 500
    replied = [a for a in data["results"] if a["replies"]]
    assert replied and all(len(a["replies"]) == 3 for a in replied)
    assert {a["created_by"] for a in data["results"]} == {"board1", "board2", "editor"}
    assert {a["resolved_by"] for a in data["results"]} == {None, "author"}


def test_page_size_is_capped_at_500(api, article, board, editor, author):
    add_annotations(article, 501, [board], author)
    response = api.as_user(editor).get(url(article, "annotations/?page_size=10000"))
    assert len(response.json()["results"]) == 500
    assert response.json()["count"] == 501


def test_annotation_detail_is_constant(api, article, board, editor, author, django_assert_max_num_queries):
    add_annotations(article, 8, [board], author)
    few, many = Annotation.objects.filter(article=article).order_by("id")[:2]  # 3 replies, and none yet
    AnnotationReply.objects.bulk_create(
        [AnnotationReply(annotation=many, author=board, body=f"More {i}") for i in range(50)]
    )
    api.as_user(editor)
    path = lambda a: f"{url(article, 'annotations/')}{a.pk}/"  # noqa: E731
    with CaptureQueriesContext(connection) as small:
        api.get(path(few))
    with CaptureQueriesContext(connection) as large:
        response = api.get(path(many))
    assert len(response.json()["replies"]) == 50
    assert [r["body"] for r in response.json()["replies"]] == [f"More {i}" for i in range(50)]
    assert len(small.captured_queries) == len(large.captured_queries)
    with django_assert_max_num_queries(len(small.captured_queries)):
        api.get(path(many) + "?format=jsonld")
