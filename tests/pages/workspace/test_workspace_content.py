"""What the workspace shows: highlighted anchors, threads, revisions, orphans, quorum, decisions, diffs."""

import html
import re

import pytest
from django.urls import reverse

from articles.models import Article, ArticleState
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.web.workspace import highlight
from reviewers.models import Annotation
from tests.factories import PASSWORD, reviewed_article, sign_decision
from tests.pages.workspace.conftest import BODY
from tests.pages.workspace.helpers import selectors_for, workspace_url

pytestmark = pytest.mark.django_db


def annotate(article, actor, exact, occurrence=0, **kwargs):
    article = Article.objects.select_related("current_revision").get(pk=article.pk)
    revision = article.current_revision
    kwargs.setdefault("kind", "comment")
    kwargs.setdefault("body", "Please check this.")
    return annotation_services.add_annotation(
        article,
        actor=actor,
        revision_number=revision.number,
        selectors=selectors_for(revision.text, exact, occurrence),
        **kwargs,
    )


def revision_text_html(page: str) -> str:
    match = re.search(r'<div id="revision-text"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no revision text element"
    return match.group(1)


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"</?mark[^>]*>", "", fragment))


def test_anchors_are_highlighted_and_the_text_is_unchanged(signed_in, article, board):
    comment = annotate(article, board, "Statins lower LDL cholesterol")
    safety = annotate(article, board, "most commonly reported", kind="safety", body="Understated.")
    page = signed_in(board).get(workspace_url(article)).content.decode()
    fragment = revision_text_html(page)
    assert plain(fragment) == article.current_revision.text  # offsets counted in the page match the server's
    assert f'<mark class="annotation" data-annotation-id="{comment.pk}"' in fragment
    assert f'<mark class="annotation blocking" data-annotation-id="{safety.pk}"' in fragment
    assert re.search(rf'data-annotation-id="{comment.pk}"[^>]*>Statins lower LDL cholesterol</mark>', fragment)


def test_overlapping_annotations_are_cut_into_segments():
    class Anchor:
        def __init__(self, pk, start, end, blocking=False, status="open"):
            self.start, self.end, self.orphaned = start, end, False
            self.annotation = Annotation(pk=pk, kind="comment", blocking=blocking, status=status)

    text = "abcdefghij"
    fragment = str(highlight(text, [Anchor(1, 0, 6), Anchor(2, 3, 9, blocking=True), Anchor(3, 4, 5)]))
    assert plain(fragment) == text
    marks = re.findall(
        r'<mark class="([^"]*)" data-annotation-id="(\d+)" data-annotation-ids="([^"]*)"[^>]*>([^<]*)</mark>', fragment
    )
    assert marks == [
        ("annotation", "1", "1", "abc"),
        ("annotation blocking", "1", "1 2", "d"),  # as long as #2 here: the older one
        ("annotation blocking", "3", "1 2 3", "e"),
        ("annotation blocking", "1", "1 2", "f"),
        ("annotation blocking", "2", "2", "ghi"),
    ]
    assert fragment.endswith("j")


def test_highlighting_escapes_the_text():
    class Anchor:
        start, end, orphaned = 0, 8, False
        annotation = Annotation(pk=7, kind="comment", status="resolved")

    fragment = str(highlight('<script>"x"&', [Anchor()]))
    assert fragment == (
        '<mark class="annotation resolved" data-annotation-id="7" data-annotation-ids="7" title="#7 comment">'
        "&lt;script&gt;</mark>&quot;x&quot;&amp;"
    )


def test_threads_show_kind_status_quote_body_suggestion_and_replies(signed_in, article, author, board):
    suggestion = annotate(
        article, board, "fewer events", kind="suggestion", body="Say how many.", suggestion="20% fewer events"
    )
    annotation_services.reply_to_annotation(suggestion, actor=author, body="Will do.")
    page = signed_in(author).get(workspace_url(article)).content.decode()
    threads = page[page.index('id="threads"') :]
    item = threads[threads.index(f'id="annotation-{suggestion.pk}"') :]
    item = item[: item.index("</li>\n\n")] if "</li>\n\n" in item else item
    for expected in ("Suggestion", "Open", "fewer events", "Say how many.", "20% fewer events", "Will do."):
        assert expected in item, expected
    assert f'action="{reverse("annotation-action", args=[article.pk, suggestion.pk, "reply"])}"' in page
    assert f'action="{reverse("annotation-action", args=[article.pk, suggestion.pk, "resolve"])}"' in page
    # Accepting edits the body: only in draft or changes requested.
    assert f'action="{reverse("annotation-action", args=[article.pk, suggestion.pk, "accept"])}"' not in page


def test_quorum_and_blocking_status(signed_in, build, board, editor):
    article = build(quorum=2, required_specialties=["oncology"])
    safety = annotate(article, board, "most commonly reported", kind="safety", body="Understated.")
    page = signed_in(editor).get(workspace_url(article)).content.decode()
    assert re.search(r'id="quorum-count">0</span> / <span id="quorum-required">2<', page)
    assert "missing: oncology" in page
    assert f'href="#annotation-{safety.pk}">#{safety.pk}</a>' in page


def test_recorded_decisions_show_their_signature_line(signed_in, article, author, board):
    sign_decision(article, verdict="request_changes", actor=board, comment="Add numbers.", password=PASSWORD)
    page = signed_in(author).get(workspace_url(article)).content.decode()
    decision = article.decisions.get()
    assert decision.signature_line in page
    assert ", Changes requested" in decision.signature_line
    assert "Add numbers." in page


def test_older_revisions_and_orphaned_annotations(signed_in, article, author, board):
    kept = annotate(article, board, "Statins lower LDL cholesterol")
    gone = annotate(article, board, "most commonly reported side effect")
    sign_decision(article, verdict="request_changes", actor=board, comment="Rework.", password=PASSWORD)
    body = BODY.replace("Muscle aches 💊 are the most commonly reported side effect of treatment.\n\n", "")
    article_services.edit_article(Article.objects.get(pk=article.pk), actor=author, body=body, change_summary="Shorter")
    client = signed_in(author)

    current = client.get(workspace_url(article)).content.decode()
    assert "Revision 2" in current
    assert f'data-annotation-id="{kept.pk}"' in revision_text_html(current)
    orphans = current[current.index('id="orphaned-threads"') :]
    assert "Text no longer present" in current
    assert f'id="annotation-{gone.pk}"' in orphans and "Orphaned" in orphans
    assert "most commonly reported side effect" in orphans  # the quote it last had
    assert reverse("workspace-diff", args=[article.pk, 1, 2]) in current

    first = client.get(workspace_url(article, revision=1)).content.decode()
    assert "Muscle aches" in revision_text_html(first)
    assert f'data-annotation-id="{gone.pk}"' in revision_text_html(first)
    assert 'id="orphaned-threads"' not in first
    assert 'id="annotation-form"' not in first  # annotations are made on the current revision


def test_diff_page(signed_in, article, author, board, auditor):
    sign_decision(article, verdict="request_changes", actor=board, comment="Rework.", password=PASSWORD)
    article_services.edit_article(
        Article.objects.get(pk=article.pk), actor=author, body=BODY.replace("fewer events", "fewer <b>events</b>")
    )
    response = signed_in(auditor).get(reverse("workspace-diff", args=[article.pk, 1, 2]))
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'id="diff">\s*<table class="diff"', page)
    assert "&lt;b&gt;" in page and "<b>events</b>" not in page
    assert "1 change in body." in page


def test_the_state_is_shown(signed_in, build, author):
    article = build(ArticleState.APPROVED)
    page = signed_in(author).get(workspace_url(article)).content.decode()
    assert 'data-state="approved">Approved<' in page
    assert "quorum met" in page


def test_the_member_reads_the_summary_they_sign_beside_the_decision_form(signed_in, author, editor, board):
    summary = "Statins lower the chance of a heart attack for people at high risk."
    article = reviewed_article(author, editor, [board], plain_language_summary=summary)
    page = signed_in(board).get(workspace_url(article)).content.decode()
    shown = page[page.index('id="plain-summary"') :]
    assert summary in shown[: shown.index("</section>")]
    assert "its references and its plain-language summary, content hash" in page
    assert article.current_revision.content_hash in page
