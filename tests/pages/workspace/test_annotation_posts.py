"""Annotating through the page form, and the thread actions: reply, resolve, reopen, accept a suggestion."""

import pytest
from django.urls import reverse

from articles.models import Article, ArticleState
from editorial.services import annotations as annotation_services
from editorial.services import workflow
from reviewers.models import Annotation, AnnotationReply
from tests.factories import PASSWORD, sign_decision
from tests.pages.workspace.helpers import audit_count, selectors_for, shown, snapshot, workspace_url

pytestmark = pytest.mark.django_db


def form(article, exact, *, occurrence=0, positions=True, **fields):
    article = Article.objects.select_related("current_revision").get(pk=article.pk)
    revision = article.current_revision
    data = {"revision": revision.number, "kind": "comment", "body": "Please check this.", **fields}
    selectors = selectors_for(revision.text, exact, occurrence)
    data["exact"] = selectors["exact"]
    if positions:
        data["start"], data["end"] = selectors["start"], selectors["end"]
    return data


def create_url(article):
    return reverse("annotation-create", args=[article.pk])


def action_url(article, annotation, action):
    return reverse("annotation-action", args=[article.pk, annotation.pk, action])


def test_annotation_from_the_form_anchors_where_the_quote_is(signed_in, article, board):
    text = article.current_revision.text
    exact = "are the most commonly reported"  # after a character outside the BMP: code points, not UTF-16
    data = form(article, exact)
    assert data["start"] == text.index(exact) and len("💊".encode("utf-16-le")) // 2 == 2
    client = signed_in(board)
    response = client.post(create_url(article), data)
    annotation = Annotation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == workspace_url(article) + f"#annotation-{annotation.pk}"
    anchor = annotation.anchors.get()
    assert (anchor.start, anchor.end, anchor.exact) == (data["start"], data["end"], exact)
    assert annotation.created_by == board and annotation.body == "Please check this."
    page = client.get(response["Location"]).content.decode()
    assert "Your annotation was added." in page
    assert f'data-annotation-id="{annotation.pk}"' in page


def test_a_typed_quote_without_positions_is_found(signed_in, article, board):
    response = signed_in(board).post(create_url(article), form(article, "fewer events", positions=False))
    assert response.status_code == 302
    anchor = Annotation.objects.get().anchors.get()
    assert article.current_revision.text[anchor.start : anchor.end] == "fewer events"


def test_kinds_blocking_and_suggestions(signed_in, article, board):
    client = signed_in(board)
    client.post(create_url(article), form(article, "fewer events", kind="safety", body="Overstated."))
    client.post(create_url(article), form(article, "LDL", kind="citation_needed", blocking="on"))
    client.post(create_url(article), form(article, "trial", kind="suggestion", suggestion="randomised trial"))
    safety, citation, suggestion = Annotation.objects.order_by("id")
    assert (safety.kind, safety.blocking) == ("safety", True)
    assert (citation.kind, citation.blocking) == ("citation_needed", True)
    assert (suggestion.kind, suggestion.suggestion, suggestion.blocking) == ("suggestion", "randomised trial", False)


def test_line_breaks_sent_as_crlf_still_match(signed_in, article, board):
    text = article.current_revision.text
    exact = "[1].\n\nMuscle aches"
    data = form(article, exact)
    data["exact"] = exact.replace("\n", "\r\n")
    assert signed_in(board).post(create_url(article), data).status_code == 302
    assert Annotation.objects.get().anchors.get().exact == exact
    assert exact in text


def test_a_wrong_quote_shows_the_error_and_keeps_the_form(signed_in, article, board):
    before, events = snapshot(article), audit_count()
    data = form(article, "fewer events")
    data["exact"] = "fewer deaths"
    response = signed_in(board).post(create_url(article), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The quote does not stand at" in page
    assert 'id="annotation-form"' in page and "Please check this." in page and "fewer deaths" in page
    assert snapshot(article) == before and audit_count() == events

    missing = signed_in(board).post(create_url(article), {**form(article, "LDL", positions=False), "exact": "HDL"})
    assert "The quote is not in this revision&#x27;s text." in missing.content.decode()
    assert snapshot(article) == before


def test_malformed_input_is_refused(signed_in, article, board):
    before = snapshot(article)
    client = signed_in(board)
    for data in (
        form(article, "LDL", kind="opinion"),
        form(article, "LDL", body=""),
        {**form(article, "LDL"), "start": "x"},
        {**form(article, "LDL"), "end": "-1"},
        {**form(article, "LDL"), "exact": ""},
        form(article, "LDL", body="x" * 20_001),
    ):
        response = client.post(create_url(article), data)
        assert response.status_code == 200
        assert shown(response), data
    assert snapshot(article) == before
    suggestion = client.post(create_url(article), form(article, "LDL", kind="suggestion"))
    assert "A suggestion needs the proposed text." in shown(suggestion)
    assert snapshot(article) == before


@pytest.mark.parametrize("who", ["author", "auditor", "outsider"])
def test_who_may_not_annotate_is_refused(signed_in, article, who, request):
    user = request.getfixturevalue(who)
    before, events = snapshot(article), audit_count()
    response = signed_in(user).post(create_url(article), form(article, "LDL"))
    assert response.status_code == 200
    assert any("annotate" in m or "assigned" in m for m in shown(response)), shown(response)
    assert snapshot(article) == before and audit_count() == events


def test_another_authors_article_is_404(signed_in, article, other_author):
    assert signed_in(other_author).post(create_url(article), form(article, "LDL")).status_code == 404


def test_annotating_in_the_wrong_state_is_refused(signed_in, build, board):
    approved = build(ArticleState.APPROVED)
    before = snapshot(approved)
    response = signed_in(board).post(create_url(approved), form(approved, "LDL"))
    assert "An article that is approved cannot be annotated." in shown(response)
    assert snapshot(approved) == before


def test_annotating_an_old_revision_is_refused(signed_in, build, board, author):
    article = build(ArticleState.CHANGES_REQUESTED)
    workflow.revise_article(article, actor=author)
    from editorial.services import articles as article_services

    article_services.edit_article(Article.objects.get(pk=article.pk), actor=author, title="Do statins help?")
    workflow.submit_article(Article.objects.get(pk=article.pk), actor=author)
    data = form(article, "LDL")
    data["revision"] = 1
    before = snapshot(article)
    response = signed_in(board).post(create_url(article), data)
    assert "Revision 1 is not current; annotate revision 2." in shown(response)
    assert snapshot(article) == before


def make_annotation(article, board, exact="fewer events", **kwargs):
    article = Article.objects.select_related("current_revision").get(pk=article.pk)
    kwargs.setdefault("kind", "comment")
    return annotation_services.add_annotation(
        article,
        actor=board,
        revision_number=article.current_revision.number,
        body=kwargs.pop("body", "Say how many."),
        selectors=selectors_for(article.current_revision.text, exact),
        **kwargs,
    )


def test_reply_resolve_reopen(signed_in, article, author, board):
    annotation = make_annotation(article, board)
    client = signed_in(author)
    response = client.post(action_url(article, annotation, "reply"), {"body": "Added the numbers.", "revision": 1})
    assert response["Location"] == workspace_url(article, 1) + f"#annotation-{annotation.pk}"
    assert AnnotationReply.objects.get().body == "Added the numbers."
    client.post(action_url(article, annotation, "resolve"), {"response": "Done in the next revision."})
    annotation.refresh_from_db()
    assert annotation.status == "resolved"
    assert annotation.replies.count() == 2
    page = client.get(workspace_url(article)).content.decode()
    assert "Resolved by" in page and action_url(article, annotation, "reopen") in page
    client.post(action_url(article, annotation, "reopen"))
    annotation.refresh_from_db()
    assert annotation.status == "open"
    # The thread form has one text field: "Resolve" sends it as the response.
    client.post(action_url(article, annotation, "resolve"), {"body": "Fixed now.", "revision": 1})
    annotation.refresh_from_db()
    assert annotation.status == "resolved"
    assert annotation.replies.order_by("-id").first().body == "Fixed now."


def test_thread_refusals_change_nothing(signed_in, article, auditor, outsider, board2, board):
    annotation = make_annotation(article, board)
    before, events = snapshot(article), audit_count()
    cases = [
        (
            auditor,
            "reply",
            {"body": "Hello"},
            "Only the article's author, its assigned board members and editors can reply.",
        ),
        (outsider, "reply", {"body": "Hello"}, "You are not assigned to review this article."),
        (board, "reply", {"body": "   "}, "The reply is empty."),
        (board2, "resolve", {}, "Only the annotation's author, the article's author or an editor can resolve it."),
        (auditor, "resolve", {}, "Only the annotation's author, the article's author or an editor can resolve it."),
        (board, "reopen", {}, "This annotation is not resolved."),
        (board, "accept", {}, "Only the article's author or an editor can accept a suggestion."),
    ]
    for user, action, data, sentence in cases:
        response = signed_in(user).post(action_url(article, annotation, action), data)
        assert response.status_code == 302
        assert sentence in shown(response), (user, action, shown(response))
    assert snapshot(article) == before and audit_count() == events


def test_unknown_action_and_foreign_annotation_are_404(signed_in, article, build, board, editor):
    annotation = make_annotation(article, board)
    client = signed_in(editor)
    assert client.post(action_url(article, annotation, "delete")).status_code == 404
    other = build(ArticleState.UNDER_REVIEW, title="Another question?")
    assert (
        client.post(reverse("annotation-action", args=[other.pk, annotation.pk, "reply"]), {"body": "x"}).status_code
        == 404
    )


def test_thread_actions_need_post(signed_in, article, board):
    annotation = make_annotation(article, board)
    assert signed_in(board).get(action_url(article, annotation, "resolve")).status_code == 405


def test_accepting_a_suggestion_makes_a_new_revision(signed_in, article, author, board):
    suggestion = make_annotation(
        article, board, "A trial found", kind="suggestion", suggestion="A randomised trial found"
    )
    client = signed_in(author)
    # Under review the body cannot change: refused, nothing changed.
    before = snapshot(article)
    response = client.post(action_url(article, suggestion, "accept"))
    assert "cannot be edited" in " ".join(shown(response))
    assert snapshot(article) == before
    sign_decision(article, verdict="request_changes", actor=board, comment="See notes.", password=PASSWORD)
    page = client.get(workspace_url(article)).content.decode()
    assert action_url(article, suggestion, "accept") in page
    response = client.post(action_url(article, suggestion, "accept"))
    assert response["Location"] == workspace_url(article)
    article = Article.objects.select_related("current_revision").get(pk=article.pk)
    assert article.current_revision.number == 2
    assert "A randomised trial found fewer events" in article.current_revision.body
    assert "The suggestion was accepted" in client.get(response["Location"]).content.decode()
