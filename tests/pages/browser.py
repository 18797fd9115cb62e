"""Helpers for the browser tests: signing in and out, selecting text, taking transitions, screenshots.

Screenshots of the pages go to docs/screenshots/ when EDITORIAL_SCREENSHOTS is set (the README shows them):
`EDITORIAL_SCREENSHOTS=1 bin/test tests/pages -k browser`.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

from tests.factories import PASSWORD, make_user

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


def screenshot(page, name: str) -> None:
    if not os.environ.get("EDITORIAL_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")


def select_text(page: Page, container: str, text: str) -> None:
    """Select `text` inside `container` as a mouse would, then let the page react to the selection."""
    page.evaluate(
        """([selector, text]) => {
            const root = document.querySelector(selector);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let node, offset = 0, full = "";
            const nodes = [];
            while ((node = walker.nextNode())) { nodes.push([node, full.length]); full += node.data; }
            const start = full.indexOf(text), end = start + text.length;
            const locate = (pos) => {
                for (const [n, at] of nodes) if (pos <= at + n.data.length) return [n, pos - at];
            };
            const range = document.createRange();
            range.setStart(...locate(start)); range.setEnd(...locate(end));
            const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
            root.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
            document.dispatchEvent(new Event("selectionchange"));
        }""",
        [container, text],
    )


def transition(page: Page, name: str) -> None:
    page.locator(f'button[data-transition="{name}"]').first.click()
    page.wait_for_load_state("networkidle")


def decide(page: Page, verdict: str, comment: str) -> None:
    form = page.locator("#decision-form")
    form.get_by_label("Comment").fill(comment)
    form.get_by_label("Password").fill(PASSWORD)
    form.locator(f'button[data-transition="{verdict}"]').click()
    page.wait_for_load_state("networkidle")


def declare_no_conflict(page: Page) -> None:
    page.locator("#conflict-form").get_by_role("button", name="Declare").click()
    page.wait_for_load_state("networkidle")


def team():
    return (
        make_user("author", username="alice"),
        make_user("editor", username="emma"),
        make_user("board", username="drjones", display_name="Sam Jones, MD"),
        make_user("auditor", username="oscar"),
    )
