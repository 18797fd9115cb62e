"""annotate.js and the htmx preview in a real browser: a selection becomes code-point selectors.

The full review story is driven in tests/pages/test_browser_story.py; this checks the script's own contract.
"""

import os
import shutil

import pytest
from playwright.sync_api import expect

from articles.models import ArticleState
from reviewers.models import Annotation, Decision
from tests.factories import PASSWORD
from tests.pages.workspace.helpers import workspace_url

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="no Chromium to drive"),
]

SELECT = """([needle, occurrence]) => {
  const container = document.getElementById('revision-text');
  const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
  let node, seen = 0;
  while ((node = walker.nextNode())) {
    const i = node.data.indexOf(needle);
    if (i !== -1 && seen++ === occurrence) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + needle.length);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      return true;
    }
  }
  return false;
}"""
FIELDS = """() => ['exact', 'start', 'end', 'prefix', 'suffix'].map(
  (name) => document.getElementById('annotation-form').elements.namedItem(name).value)"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--disable-gpu"]}


@pytest.fixture
def errors(page):
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def select(page, needle: str, occurrence: int = 0) -> list[str]:
    assert page.evaluate(SELECT, [needle, occurrence])
    page.wait_for_timeout(300)  # selectionchange is debounced
    return page.evaluate(FIELDS)


def test_selection_fills_code_point_selectors(page, live_server, build, board, errors):
    article = build(ArticleState.UNDER_REVIEW)
    text = article.current_revision.text
    sign_in(page, live_server.url, board.username)
    page.goto(live_server.url + workspace_url(article))

    # After "💊" (two UTF-16 units, one code point): positions are Python string indices.
    exact = "are the most commonly reported"
    start = text.index(exact)
    assert select(page, exact) == [
        exact,
        str(start),
        str(start + len(exact)),
        text[start - 32 : start],
        text[start + len(exact) : start + len(exact) + 32],
    ]
    assert "Quoted 30 characters" in page.locator("#quote-status").inner_text()
    page.get_by_label("Note").fill("Cite a source.")
    page.get_by_label("Kind").select_option("safety")
    assert page.locator("#annotation-blocking").is_checked()
    page.get_by_role("button", name="Add annotation").click()
    page.wait_for_load_state("networkidle")
    safety = Annotation.objects.exclude(kind="check").get()  # the automated checks ran as the submission committed
    anchor = safety.anchors.get()
    assert (anchor.start, anchor.end, anchor.exact, safety.kind, safety.blocking) == (
        start,
        start + len(exact),
        exact,
        "safety",
        True,
    )

    # Text after a highlight is counted through the <mark>; clicking a highlight shows its thread.
    mark = page.locator(f'mark[data-annotation-id="{safety.pk}"]')
    assert mark.inner_text() == exact
    mark.click()
    assert "active" in page.locator(f"#annotation-{safety.pk}").get_attribute("class")
    later = text.index("fewer events")
    assert select(page, "fewer events ")[:3] == ["fewer events", str(later), str(later + 12)]  # trailing space left out

    # Typing the quote by hand drops the positions the selection gave: the server finds the quote.
    page.get_by_label("Quote").fill("LDL cholesterol")
    assert page.get_by_label("Start").input_value() == page.get_by_label("End").input_value() == ""
    page.get_by_label("Kind").select_option("comment")
    page.get_by_label("Note").fill("Which fraction?")
    page.get_by_role("button", name="Add annotation").click()
    page.wait_for_load_state("networkidle")
    comment = Annotation.objects.exclude(kind="check").exclude(pk=safety.pk).get()
    assert comment.anchors.get().start == text.index("LDL cholesterol")
    assert errors == []


def test_enter_in_the_decision_form_signs_nothing(page, live_server, build, board, errors):
    article = build(ArticleState.UNDER_REVIEW)
    sign_in(page, live_server.url, board.username)
    page.goto(live_server.url + workspace_url(article))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_timeout(500)
    assert not Decision.objects.exists()
    page.get_by_label("Comment").fill("Add the numbers.")
    page.locator('#decision-form [data-transition="request_changes"]').click()
    page.wait_for_load_state("networkidle")
    assert "Your request for changes was signed." in page.content()
    assert Decision.objects.get().verdict == "request_changes"
    assert errors == []


def test_live_preview_and_citation_check(page, live_server, author, errors):
    sign_in(page, live_server.url, author.username)
    page.goto(f"{live_server.url}/desk/articles/new/")
    page.get_by_label("Title").fill("Is tea good?")
    page.get_by_label("Body").fill("Tea **is** fine [1] and [2].")
    expect(page.locator("#citation-check")).to_contain_text("no reference for [1], [2]")
    assert page.locator("#preview strong").inner_text() == "is"
    page.get_by_label("Citation of reference 1").fill("Tea study")
    page.get_by_label("Citation of reference 2").fill("Tea review")
    expect(page.locator("#citation-check")).to_have_attribute("data-complete", "true")
    page.get_by_label("Title").press("Enter")  # the default button saves
    page.wait_for_load_state("networkidle")
    assert "Your draft was saved as revision 1." in page.content()
    assert errors == []
