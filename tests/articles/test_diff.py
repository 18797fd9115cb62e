"""articles/diff.py: change list and escaped HTML table between two revisions."""

import pytest

from articles.diff import diff_revisions
from editorial.services.articles import edit_article
from tests.factories import BODY, REFERENCES, make_article

pytestmark = pytest.mark.django_db


def test_diff_lists_changes_per_field(author):
    article = make_article(author)
    refs = [REFERENCES[0], {**REFERENCES[1], "citation": "Another trial"}]
    article = edit_article(article, actor=author, title="New title", body=BODY + "\n\nAdded line [1].", references=refs)
    a, b = article.revisions.get(number=1), article.revisions.get(number=2)
    diff = diff_revisions(a, b)
    assert diff["from"] == 1 and diff["to"] == 2
    by_field = {c["field"]: c for c in diff["changes"]}
    assert set(by_field) == {"title", "body", "references"}
    assert by_field["title"]["old"] == "Do statins prevent heart attacks?" and by_field["title"]["new"] == "New title"
    assert by_field["body"]["op"] == "insert" and by_field["body"]["new"] == "\nAdded line [1]."
    assert by_field["references"]["op"] == "replace" and "Another trial" in by_field["references"]["new"]
    assert "<table" in diff["html"] and "Revision 1" in diff["html"] and "Revision 2" in diff["html"]


def test_identical_revisions_have_no_changes(author):
    article = make_article(author)
    article = edit_article(article, actor=author, title="Do statins prevent heart attacks?")
    diff = diff_revisions(article.revisions.get(number=1), article.revisions.get(number=2))
    assert diff["changes"] == []


def test_diff_html_escapes_content(author):
    article = make_article(author)
    article = edit_article(article, actor=author, body=BODY + '\n\n<script>alert("x")</script> & <b>bold</b>')
    diff = diff_revisions(article.revisions.get(number=1), article.revisions.get(number=2))
    assert "<script" not in diff["html"] and "<b>" not in diff["html"]
    assert "&lt;script&gt;" in diff["html"] and "&amp;" in diff["html"]
