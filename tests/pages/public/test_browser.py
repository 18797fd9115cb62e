"""The public page in a real browser: the pending-review banner, the audience choice."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from editorial.services import publishing
from tests.factories import reviewed_article
from tests.pages.browser import screenshot, team

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_an_immediately_published_draft_shows_the_pending_review_banner(live_server, page: Page, console_errors):
    author, editor, board, _ = team()
    article = reviewed_article(
        author,
        editor,
        [board],
        state="submitted",
        publication_policy="immediate",
        plain_language_summary="Statins are pills that lower cholesterol.",
    )
    publishing.request_publication(article, actor=editor)  # runs in-process after commit
    page.goto(f"{live_server.url}/articles/{article.slug}/")
    expect(page.get_by_text("Exercise caution as content is pending human review")).to_be_visible()
    expect(page.locator('.stepper [aria-current="step"]')).to_contain_text("Submitted")
    expect(page.locator('meta[name="robots"]')).to_have_attribute("content", "noindex")
    screenshot(page, "public-pending-review")
    assert console_errors == []


def test_the_audience_choice_switches_the_summary_and_is_remembered(live_server, page: Page, console_errors):
    author, editor, board, _ = team()
    article = reviewed_article(
        author, editor, [board], state="approved", plain_language_summary="Statins are pills that lower cholesterol."
    )
    publishing.request_publication(article, actor=editor)
    page.goto(f"{live_server.url}/articles/{article.slug}/")
    page.get_by_label("Healthcare professional").check()
    expect(page.locator("#plain-summary")).to_be_hidden()
    page.get_by_label("Patient or caregiver").check()
    expect(page.locator("#plain-summary")).to_be_visible()
    expect(page.locator("#plain-summary")).to_contain_text("pills that lower cholesterol")
    page.reload()
    expect(page.get_by_label("Patient or caregiver")).to_be_checked()
    expect(page.locator("#plain-summary")).to_be_visible()
    assert console_errors == []
