"""Transitions and signed decisions from the workspace, and the conflict-of-interest declaration."""

import pytest
from django.urls import reverse

from articles.models import Article, ArticleState
from editorial.models import AuditEvent
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import workflow
from reviewers.models import ConflictDeclaration, Decision
from tests.factories import PASSWORD, make_article, sign_decision
from tests.pages.workspace.helpers import audit_count, selectors_for, shown, snapshot, workspace_url

pytestmark = pytest.mark.django_db


def transition_url(article, name):
    return reverse("workspace-transition", args=[article.pk, name])


def state_of(article) -> str:
    return Article.objects.get(pk=article.pk).state


def test_author_submits_a_draft(signed_in, author):
    draft = make_article(author)
    client = signed_in(author)
    response = client.post(transition_url(draft, "submit"))
    assert response["Location"] == workspace_url(draft)
    assert state_of(draft) == ArticleState.SUBMITTED
    assert "Submitted for review." in client.get(response["Location"]).content.decode()


def test_submitting_with_incomplete_citations_shows_why(signed_in, author):
    draft = make_article(author, body="Statins lower LDL [1]. See also [3].")
    before = snapshot(draft)
    response = signed_in(author).post(transition_url(draft, "submit"))
    assert shown(response) == ["Citations do not match the references: no reference for [3]; never cited: reference 2."]
    assert snapshot(draft) == before


def test_wrong_role_is_refused_and_nothing_changes(signed_in, author, board, auditor, other_author, build):
    draft = make_article(author)
    before, events = snapshot(draft), audit_count()
    # Who may not see the article gets 404; who may see it but not act gets the service's sentence.
    assert signed_in(board).post(transition_url(draft, "submit")).status_code == 404
    assert signed_in(other_author).post(transition_url(draft, "submit")).status_code == 404
    response = signed_in(auditor).post(transition_url(draft, "submit"))
    assert response.status_code == 302
    assert shown(response) == ["Only the article's author or an editor can submit it."]
    assert snapshot(draft) == before and audit_count() == events

    submitted = build(ArticleState.SUBMITTED)
    before, events = snapshot(submitted), audit_count()
    for user in (author, board, auditor):
        response = signed_in(user).post(transition_url(submitted, "start_review"))
        assert shown(response) == ["Only an editor can start the review."], user
    assert snapshot(submitted) == before and audit_count() == events


def test_wrong_state_is_refused_with_a_message(signed_in, article, author, editor):
    before, events = snapshot(article), audit_count()
    response = signed_in(author).post(transition_url(article, "submit"))
    assert "Cannot submit an article that is under review." in shown(response)
    response = signed_in(editor).post(transition_url(article, "start_review"))
    assert "Cannot start review an article that is under review." in shown(response)
    assert snapshot(article) == before and audit_count() == events


def test_unknown_transition_is_404_and_get_is_405(signed_in, article, editor):
    assert signed_in(editor).post(transition_url(article, "publish")).status_code == 404
    assert signed_in(editor).get(transition_url(article, "withdraw")).status_code == 405


def test_withdraw_needs_a_reason(signed_in, article, author):
    client = signed_in(author)
    before = snapshot(article)
    assert "A reason is required to withdraw an article." in shown(client.post(transition_url(article, "withdraw")))
    assert snapshot(article) == before
    client.post(transition_url(article, "withdraw"), {"comment": "Superseded."})
    assert state_of(article) == ArticleState.WITHDRAWN


def test_editor_starts_the_review(signed_in, build, editor):
    submitted = build(ArticleState.SUBMITTED)
    page = signed_in(editor).get(workspace_url(submitted)).content.decode()
    assert 'data-transition="start_review"' in page
    signed_in(editor).post(transition_url(submitted, "start_review"))
    assert state_of(submitted) == ArticleState.UNDER_REVIEW


def test_revise_leads_to_the_edit_page(signed_in, build, author):
    article = build(ArticleState.CHANGES_REQUESTED)
    response = signed_in(author).post(transition_url(article, "revise"))
    assert response["Location"] == reverse("article-edit", args=[article.pk])
    assert state_of(article) == ArticleState.DRAFT


def test_the_decision_form_shows_what_will_be_recorded(signed_in, article, board):
    page = signed_in(board).get(workspace_url(article)).content.decode()
    form = page[page.index('id="decision-form"') : page.index("</form>", page.index('id="decision-form"'))]
    name = board.board_profile.display_name
    assert 'name="password"' in form and 'type="password"' in form
    for transition, meaning in (
        ("approve", "Approved for medical accuracy"),
        ("request_changes", "Changes requested"),
        ("reject", "Rejected"),
    ):
        assert f'data-transition="{transition}"' in form
        assert f'formaction="{transition_url(article, transition)}"' in form
        assert f'{name}, <span class="signing-time">' in form and f"UTC, {meaning} — revision 1, SHA-256 " in form


def test_approval_with_the_password_is_signed(signed_in, article, board):
    client = signed_in(board)
    response = client.post(
        transition_url(article, "approve"), {"password": PASSWORD, "revision": 1, "comment": "Accurate."}
    )
    assert response["Location"] == workspace_url(article)
    decision = Decision.objects.get()
    assert (decision.reviewer, decision.verdict, decision.comment) == (board, "approve", "Accurate.")
    assert state_of(article) == ArticleState.APPROVED
    page = client.get(response["Location"]).content.decode()
    assert "Your approval was signed." in page
    assert decision.signature_line in page
    assert " UTC, Approved for medical accuracy — revision 1, SHA-256 " in decision.signature_line


def test_a_wrong_password_records_nothing_but_the_audit_event(signed_in, article, board):
    before, events = snapshot(article), audit_count()
    response = signed_in(board).post(
        transition_url(article, "request_changes"),
        {"password": "not my password", "revision": 1, "comment": "Needs numbers."},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The password did not match; nothing was signed." in page
    assert "Needs numbers." in page  # the comment is kept; the password is not
    assert "not my password" not in page
    assert snapshot(article) == before
    assert audit_count() == events + 1
    assert AuditEvent.objects.order_by("-seq").first().action == "decision.signature_failed"


def test_missing_password_and_missing_reason(signed_in, article, board):
    before, events = snapshot(article), audit_count()
    client = signed_in(board)
    assert "Your password is required to sign this decision." in shown(
        client.post(transition_url(article, "approve"), {"revision": 1})
    )
    assert "Your password and the number of the revision you read are required to sign this decision." in shown(
        client.post(transition_url(article, "approve"))
    )
    assert "A reason is required to reject an article." in shown(
        client.post(transition_url(article, "reject"), {"password": PASSWORD, "revision": 1})
    )
    assert snapshot(article) == before and audit_count() == events


def test_who_may_not_decide_is_refused(signed_in, article, author, editor, outsider, auditor):
    before, events = snapshot(article), audit_count()
    for user, sentence in (
        (author, "Only board members can record decisions."),
        (editor, "Only board members can record decisions."),
        (auditor, "Only board members can record decisions."),
        (outsider, "You are not assigned to review this article."),
    ):
        response = signed_in(user).post(transition_url(article, "approve"), {"password": PASSWORD, "revision": 1})
        assert sentence in shown(response), (user, shown(response))
    assert snapshot(article) == before and audit_count() == events


def test_approval_is_refused_while_a_blocking_annotation_is_open(signed_in, article, board):
    text = article.current_revision.text
    safety = annotation_services.add_annotation(
        article,
        actor=board,
        revision_number=1,
        kind="safety",
        body="Dangerous advice.",
        selectors=selectors_for(text, "fewer events"),
    )
    page = signed_in(board).get(workspace_url(article)).content.decode()
    assert 'data-transition="approve"' not in page
    assert f"Resolve the blocking annotations first: #{safety.pk}." in page
    before = snapshot(article)
    response = signed_in(board).post(transition_url(article, "approve"), {"password": PASSWORD, "revision": 1})
    assert f"Resolve the blocking annotations first: #{safety.pk}." in response.content.decode()
    assert snapshot(article) == before


def test_conflict_declaration(signed_in, article, board, outsider, author, auditor):
    url = reverse("workspace-conflict", args=[article.pk])
    client = signed_in(outsider)
    before = snapshot(article)
    response = client.post(url, {"has_conflict": "on", "statement": ""})
    assert "Describe the conflict of interest." in shown(response)
    assert snapshot(article) == before
    response = client.post(url, {"has_conflict": "on", "statement": "I consult for a statin maker."})
    assert response["Location"] == workspace_url(article) + "#conflict"
    declaration = ConflictDeclaration.objects.filter(member=outsider).get()
    assert declaration.has_conflict and declaration.statement == "I consult for a statin maker."
    assert "I consult for a statin maker." in client.get(workspace_url(article)).content.decode()

    signed_in(board).post(url, {"statement": ""})
    assert not ConflictDeclaration.objects.filter(member=board).order_by("-id").first().has_conflict

    count = ConflictDeclaration.objects.count()
    for user in (author, auditor):
        response = signed_in(user).post(url, {"has_conflict": "on", "statement": "x"})
        assert "Only board members declare conflicts of interest." in shown(response)
    assert ConflictDeclaration.objects.count() == count


def test_a_conflicted_member_cannot_decide(signed_in, article, board):
    signed_in(board).post(
        reverse("workspace-conflict", args=[article.pk]), {"has_conflict": "on", "statement": "Shares."}
    )
    page = signed_in(board).get(workspace_url(article)).content.decode()
    assert 'id="decision-form"' not in page
    assert "You declared a conflict of interest on this article." in page
    response = signed_in(board).post(transition_url(article, "approve"), {"password": PASSWORD, "revision": 1})
    assert "You declared a conflict of interest on this article." in shown(response)
    assert not Decision.objects.exists()


def test_a_stale_decision_form_signs_nothing(signed_in, article, author, editor, board, board2):
    """The member's page shows revision 1; revision 2 is submitted and under review before they sign."""
    client = signed_in(board2)
    form = client.get(workspace_url(article)).content.decode()
    assert '<input type="hidden" name="revision" value="1">' in form.split('id="decision-form"')[1]
    sign_decision(article, verdict="request_changes", actor=board, password=PASSWORD, comment="Rework it")
    workflow.revise_article(article, actor=author)
    article_services.edit_article(Article.objects.get(pk=article.pk), actor=author, title="A new question?")
    workflow.submit_article(Article.objects.get(pk=article.pk), actor=author)
    workflow.start_review(Article.objects.get(pk=article.pk), actor=editor)
    before, events = snapshot(article), audit_count()
    response = client.post(transition_url(article, "approve"), {"password": PASSWORD, "revision": 1})
    assert "You read revision 1, but revision 2 is current" in shown(response)[0]
    assert not Decision.objects.filter(reviewer=board2).exists()
    assert snapshot(article) == before and audit_count() == events
