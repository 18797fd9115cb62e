"""Every page in a real browser: no console errors, and hostile content that stays inert."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from editorial.services import publishing
from tests.factories import PASSWORD, reviewed_article, sign_decision
from tests.pages.browser import HOSTILE, screenshot, sign_in, sign_out, team

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_no_page_has_console_errors(live_server, page: Page, console_errors):
    author, editor, board, _ = team()
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
    author, editor, board, _ = team()
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
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD, comment=HOSTILE)
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
