"""Claim-by-claim verification in a real browser, with the keyboard only: a board member verifies every claim
of a revision whose doses must all be verified, sees the count on the decision form, and signs the approval."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from articles.models import Article
from reviewers.models import ClaimVerification, Decision
from tests.factories import PASSWORD, reviewed_article
from tests.pages.browser import sign_in, team

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

BODY = (
    "## From the Guidelines\n\n"
    "Statins lower LDL cholesterol [1]. Take atorvastatin 20 mg once daily [1].\n\n"
    "## From the Research\n\n"
    "A trial found fewer events [2]. Rosuvastatin 5-10 mg daily was used."
)


def tab_to(page: Page, test: str, limit: int = 150) -> None:
    """Press Tab until the focused element passes `test` (a JavaScript expression over `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({test}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_a_board_member_verifies_claims_and_signs_with_the_keyboard(live_server, page: Page, console_errors):
    author, editor, board, _ = team()
    article = reviewed_article(author, editor, [board], state="under_review", body=BODY, doses_need_verification=True)
    sign_in(page, live_server.url, "drjones", PASSWORD)
    page.goto(f"{live_server.url}/desk/articles/{article.pk}/")
    expect(page.locator("#claims-summary")).to_contain_text("0 of 4 claims verified by you")
    expect(page.locator('button[data-transition="approve"]')).to_have_count(0)  # doses unverified

    for done in range(1, 5):
        tab_to(page, "el.tagName === 'BUTTON' && el.closest('form.claim-form') !== null")
        if page.evaluate("document.activeElement.textContent.trim()") == "Mark verified":
            # A dose without a marker: the member chooses the source first (Shift+Tab to the select, End for [2]).
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("End")
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#claims-summary")).to_contain_text(f"{done} of 4 claims verified by you")

    expect(page.locator("#claim-list form.claim-form")).to_have_count(0)
    expect(page.locator("#decision-claims")).to_contain_text("4 of 4 claims verified by you")
    expect(page.locator("#decision-claims")).to_contain_text("all verified")
    assert ClaimVerification.objects.filter(member=board).count() == 4
    assert ClaimVerification.objects.get(sentence="Rosuvastatin 5-10 mg daily was used.").reference == 2

    tab_to(page, "el.id === 'decision-password'")
    page.keyboard.type(PASSWORD)
    tab_to(page, "el.dataset.transition === 'approve'")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#article-state")).to_have_text("Approved")
    assert Article.objects.get(pk=article.pk).state == "approved"
    assert Decision.objects.get().verdict == "approve"
    assert console_errors == []
