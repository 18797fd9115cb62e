"""Pages in a real browser: the pending-review banner, the audience choice, annotating by keyboard only,
no console errors anywhere, and hostile content that stays inert."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from editorial.services import publishing, workflow
from tests.factories import PASSWORD, make_user, reviewed_article

from .conftest import screenshot, sign_in, sign_out

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


def _team():
    return (
        make_user("author", username="alice"),
        make_user("editor", username="emma"),
        make_user("board", username="drjones", display_name="Sam Jones, MD"),
        make_user("auditor", username="oscar"),
    )


def test_an_immediately_published_draft_shows_the_pending_review_banner(live_server, page: Page, console_errors):
    author, editor, board, _ = _team()
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
    author, editor, board, _ = _team()
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


def test_a_board_member_annotates_with_the_keyboard_only(live_server, page: Page, console_errors):
    author, editor, board, _ = _team()
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


def test_no_page_has_console_errors(live_server, page: Page, console_errors):
    author, editor, board, _ = _team()
    article = reviewed_article(author, editor, [board], state="approved")
    publishing.request_publication(article, actor=editor)
    url = live_server.url
    public = [
        "/",
        "/articles/",
        f"/articles/{article.slug}/",
        f"/articles/{article.slug}/v/1/",
        "/editorial-policy/",
        "/accounts/login/",
    ]
    for path in public:
        page.goto(url + path)
    by_role = {
        "alice": ["/desk/author/", "/desk/articles/new/", f"/desk/articles/{article.pk}/", "/desk/notifications/"],
        "drjones": ["/desk/review/", f"/desk/articles/{article.pk}/", f"/desk/articles/{article.pk}/diff/1/1/"],
        "emma": [
            "/desk/editor/",
            f"/desk/editor/articles/{article.pk}/",
            "/desk/editor/reports/",
            f"/desk/articles/{article.pk}/",
        ],
        "oscar": [
            "/desk/audit/",
            f"/desk/audit/articles/{article.pk}/",
            f"/desk/audit/live/?article={article.pk}&at=2100-01-01",
            "/desk/audit/verify/",
        ],
    }
    for username, paths in by_role.items():
        sign_in(page, url, username, PASSWORD)
        for path in paths:
            response = page.goto(url + path)
            assert response.status == 200, (username, path, response.status)
        if username == "oscar":
            page.goto(url + "/desk/audit/verify/")
            screenshot(page, "audit-verify")
        sign_out(page)
    assert console_errors == []


def test_hostile_content_stays_inert_on_every_page(live_server, page: Page, console_errors):
    author, editor, board, _ = _team()
    article = reviewed_article(
        author,
        editor,
        [board],
        state="under_review",
        title=f"Statins {HOSTILE}?",
        body=f"## From the Guidelines\n\nStatins lower LDL [1]. {HOSTILE} [x](javascript:window.__xss=1)\n\n"
        "## Research\n\nFewer events [2].",
        plain_language_summary=HOSTILE,
    )
    from editorial.services import annotations

    annotations.add_annotation(
        article, actor=board, revision_number=1, kind="comment", body=HOSTILE, selectors={"exact": "Statins lower LDL"}
    )
    workflow.record_decision(article, verdict="approve", actor=board, password=PASSWORD, comment=HOSTILE)
    publishing.request_publication(article, actor=editor)
    url = live_server.url
    visits = {
        None: [f"/articles/{article.slug}/"],
        "alice": ["/desk/author/", f"/desk/articles/{article.pk}/"],
        "drjones": [f"/desk/articles/{article.pk}/", "/desk/review/"],
        "emma": ["/desk/editor/", f"/desk/editor/articles/{article.pk}/"],
        "oscar": ["/desk/audit/", f"/desk/audit/articles/{article.pk}/"],
    }
    for username, paths in visits.items():
        if username:
            sign_in(page, url, username, PASSWORD)
        for path in paths:
            page.goto(url + path)
            for link in page.locator("a").all():
                href = link.get_attribute("href") or ""
                assert not href.strip().lower().startswith("javascript:"), (path, href)
            assert page.evaluate("window.__xss") is None, path
        if username:
            sign_out(page)
    # A blocked inline script is a CSP report in the console, not an error of ours; nothing else may appear.
    assert [e for e in console_errors if "Content Security Policy" not in e and "Refused to" not in e] == []
