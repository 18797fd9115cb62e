"""The workspace in a real browser: annotating with the keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, reviewed_article
from tests.pages.browser import sign_in, team

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_a_board_member_annotates_with_the_keyboard_only(live_server, page: Page, console_errors):
    author, editor, board, _ = team()
    article = reviewed_article(author, editor, [board], state="under_review")
    quote = "Statins lower LDL cholesterol"
    sign_in(page, live_server.url, "drjones", PASSWORD)
    page.goto(f"{live_server.url}/desk/articles/{article.pk}/")
    form = page.locator("#annotation-form")
    form.get_by_label("Quote").focus()
    page.keyboard.type(quote)
    page.keyboard.press("Tab")  # to Start: left empty, the quote occurs once
    page.keyboard.press("Tab")  # to End
    page.keyboard.press("Tab")  # to Kind
    page.keyboard.press("End")  # the last kind: safety concern
    page.keyboard.press("Tab")
    page.keyboard.type("Dose advice missing.")
    form.get_by_role("button", name="Add annotation").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#threads")).to_contain_text("Dose advice missing.")
    expect(page.locator("#revision-text mark.annotation")).to_have_text(quote)
    assert article.annotations.get().kind == "safety"
    assert console_errors == []
