"""Whatever an author or reviewer types renders inert on every page: nothing can run script."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from articles.models import Article
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import workflow
from tests.factories import PASSWORD, sign_decision
from tests.pages.workspace.helpers import selectors_for, workspace_url

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
TITLE = f"Is {SCRIPT} safe?{IMG}"
BODY = (
    f"## From the Guidelines\n\nStatins lower LDL {SCRIPT} cholesterol [1].\n\n"
    f'{IMG} and [a link](javascript:alert(3)) and <a href="javascript:alert(4)">raw</a>.\n\n'
    f"As code, it is text: `{SCRIPT}` and `{IMG}`.\n\n"
    "## From the Research\n\nA trial found fewer events [2]."
)
REFERENCES = [
    {"kind": "guideline", "citation": f"Guideline {SCRIPT}", "year": 2019, "url": "javascript:alert(5)"},
    {"kind": "research", "citation": f"Trial {IMG}", "year": 2016},
]
HOSTILE = f'{SCRIPT} {IMG} <a href="javascript:alert(6)">x</a>'


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def assert_inert(page: str, where: str) -> None:
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in ("img", "iframe", "object", "embed", "svg"), (where, tag, attrs)
        if tag == "script":
            assert re.fullmatch(r"/static/js/[a-z.]+\.js", attrs.get("src", "")), (where, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (where, tag, attrs)
            if name in ("href", "src", "action", "formaction", "hx-post", "hx-get"):
                assert not value.strip().lower().startswith(("javascript:", "data:")), (where, tag, attrs)
    assert "<script>alert" not in page, where


@pytest.fixture
def hostile(author, editor, board):
    """An article whose every typed field is hostile, taken to changes requested with a thread and a decision."""
    article = article_services.create_article(actor=author, title=TITLE, body=BODY, references=REFERENCES)
    workflow.submit_article(article, actor=author)
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board.username)
    assignment_services.declare_conflict(article, actor=board, has_conflict=False, statement=HOSTILE)
    workflow.start_review(article, actor=editor)
    article = Article.objects.select_related("current_revision").get(pk=article.pk)
    text = article.current_revision.text
    annotation = annotation_services.add_annotation(
        article,
        actor=board,
        revision_number=1,
        kind="suggestion",
        body=HOSTILE,
        suggestion=HOSTILE,
        selectors=selectors_for(text, SCRIPT),
    )
    annotation_services.reply_to_annotation(annotation, actor=author, body=HOSTILE)
    sign_decision(article, verdict="request_changes", actor=board, comment=HOSTILE, password=PASSWORD)
    article_services.edit_article(
        Article.objects.get(pk=article.pk), actor=author, body=BODY + f"\n\n{SCRIPT}", change_summary=HOSTILE
    )
    return Article.objects.select_related("current_revision").get(pk=article.pk)


def test_every_page_renders_hostile_input_inert(signed_in, hostile, author, board, editor, auditor):
    pages = {
        "workspace (author)": signed_in(author).get(workspace_url(hostile)),
        "workspace (board)": signed_in(board).get(workspace_url(hostile)),
        "workspace (editor)": signed_in(editor).get(workspace_url(hostile)),
        "workspace (auditor), revision 1": signed_in(auditor).get(workspace_url(hostile, 1)),
        "diff": signed_in(auditor).get(reverse("workspace-diff", args=[hostile.pk, 1, 2])),
        "author desk": signed_in(author).get(reverse("author-desk")),
        "edit": signed_in(author).get(reverse("article-edit", args=[hostile.pk])),
        "review queue": signed_in(board).get(reverse("review-queue")),
        "preview": signed_in(author).post(
            reverse("article-preview"),
            {"body": BODY, "references-TOTAL_FORMS": "1", "references-0-citation": SCRIPT},
        ),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert_inert(response.content.decode(), where)
    workspace = pages["workspace (author)"].content.decode()
    assert "Is &lt;script&gt;alert(1)&lt;/script&gt; safe?" in workspace  # shown, as text
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in workspace
    assert "javascript:alert(5)" in workspace  # the stored URL, as text, not a link
    assert workspace.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # title, text, thread, reply, decision
    assert "&lt;script&gt;" in pages["edit"].content.decode()
    assert "Statins lower LDL" in pages["preview"].content.decode()


def test_hostile_form_input_is_echoed_inert(signed_in, hostile, author, board, editor):
    """A refused form shows what was typed again: still as text."""
    url = reverse("annotation-create", args=[hostile.pk])
    response = signed_in(editor).post(
        url,
        {
            "revision": 2,
            "kind": "comment",
            "body": HOSTILE,
            "exact": HOSTILE,
            "prefix": HOSTILE,
            "start": "1",
            "end": "5",
        },
    )
    assert response.status_code == 200
    assert_inert(response.content.decode(), "annotation form")
    response = signed_in(author).post(
        reverse("article-edit", args=[hostile.pk]),
        {
            "title": TITLE,
            "body": "",
            "references-TOTAL_FORMS": "1",
            "references-0-citation": HOSTILE,
            "references-0-kind": "x",
        },
    )
    assert response.status_code == 200
    assert_inert(response.content.decode(), "article form")
    response = signed_in(board).post(
        reverse("workspace-transition", args=[hostile.pk, "approve"]), {"comment": HOSTILE, "password": "wrong"}
    )
    assert_inert(response.content.decode(), "decision form")
