"""The XSS corpus in a real browser (Debian's chromium): the pages that carry the payloads run none of them.

One article holds the corpus in its title, body, plain-language summary, references, an annotation, a reply and a
decision comment, and its board member's printed name holds payloads too. Each page kind is loaded once, in a
browser context that ignores the Content-Security-Policy (bypass_csp), so that the sanitiser and the escaping are
what is tested, not the policy behind them: `window.__xss` stays undefined, no dialog opens (`alert(1)`), no
link resolves to a javascript:, vbscript: or data: URL, no element carries an event handler, no script but the
page's own is in the DOM.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page

from articles.models import Article
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import publishing, workflow
from tests.factories import PASSWORD, make_user
from tests.pages.browser import sign_in, sign_out

from .hostile import markdown_body, pack, references
from .xss_corpus import PAYLOADS, has_line_break

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, as the page tests run it (tests/pages/conftest.py)."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": ["--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update"],
    }


ONE_LINE = [i for i in range(len(PAYLOADS)) if not has_line_break(PAYLOADS[i])]

INSPECT = """() => {
    const bad = [];
    for (const element of document.querySelectorAll("*")) {
        for (const attribute of element.attributes) {
            if (attribute.name.toLowerCase().startsWith("on")) bad.push(`${element.tagName} ${attribute.name}`);
        }
    }
    for (const link of document.querySelectorAll("a[href], area[href]")) {
        let protocol;
        try { protocol = new URL(link.href, location.href).protocol; } catch (error) { protocol = "invalid:"; }
        if (["javascript:", "vbscript:", "data:"].includes(protocol)) bad.push(`link ${link.getAttribute("href")}`);
    }
    for (const script of document.querySelectorAll("script")) {
        const own = script.src
            ? new URL(script.src).pathname.startsWith("/static/")
            : script.type === "application/ld+json";
        if (!own) bad.push(`script ${script.outerHTML.slice(0, 120)}`);
    }
    for (const tag of ["iframe", "frame", "object", "embed", "base", "svg", "math", "meta[http-equiv]"]) {
        if (document.querySelector(tag)) bad.push(tag);
    }
    const text = document.documentElement.innerText + " " + document.documentElement.outerHTML;
    return {
        xss: typeof window.__xss,
        bad,
        sentinels: new Set(text.match(/z[A-Z]{2}[0-9]{3}z/g) || []).size,
    };
}"""


def test_no_payload_runs_in_a_browser(live_server, new_context):
    author = make_user("author", username="alice")
    editor = make_user("editor", username="emma")
    auditor = make_user("auditor", username="oscar")
    [(name, _)] = pack("DN", [i for i in ONE_LINE if len(PAYLOADS[i]) < 90][:3], 200, joiner=" ")[:1]
    board = make_user("board", username="drjones", display_name=name)

    title, _ = pack("TI", ONE_LINE, 500, joiner=" ")[0]
    everything = list(range(len(PAYLOADS)))
    body, count = markdown_body(everything)  # cites [1]..[count]: one reference per payload, at least
    summary, _ = pack("SU", everything, 19_000)[0]
    article = article_services.create_article(
        actor=author,
        title=title,
        body=body,
        references=references(everything, count),
        plain_language_summary=summary,
        publication_policy="immediate",
    )
    workflow.submit_article(article, actor=author)
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board.username)
    assignment_services.declare_conflict(article, actor=board, has_conflict=False)
    workflow.start_review(article, actor=editor)
    publishing.request_publication(article, actor=editor)  # runs after the commit, in-process
    article = Article.objects.get(pk=article.pk)
    assert article.live_version_id is not None
    annotation = annotation_services.add_annotation(
        article,
        actor=board,
        revision_number=1,
        kind="suggestion",
        body=pack("AB", everything, 19_000)[0][0],
        suggestion=pack("AS", everything, 19_000)[0][0],
        selectors={"exact": "Cited"},
    )
    annotation_services.reply_to_annotation(annotation, actor=author, body=pack("RE", everything, 19_000)[0][0])
    comment = pack("DC", everything, 19_000)[0][0]
    workflow.record_decision(
        article, verdict="request_changes", actor=board, comment=comment, password=PASSWORD, revision=1
    )

    url = live_server.url
    visits = [
        (None, f"/articles/{article.slug}/", 500),
        (board, f"/desk/articles/{article.pk}/", 500),
        (editor, f"/desk/editor/articles/{article.pk}/", 100),
        (auditor, f"/desk/audit/articles/{article.pk}/", 500),
        (author, "/desk/notifications/", 100),
    ]
    for user, path, least in visits:
        context = new_context(bypass_csp=True)  # the policy would hide an injected script; test without it
        page: Page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog, opened=dialogs: (opened.append(dialog.message), dialog.dismiss()))
        if user is not None:
            sign_in(page, url, user.username, PASSWORD)
        response = page.goto(url + path)
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # error and load handlers of broken images and frames fire after the load
        seen = page.evaluate(INSPECT)
        assert seen["xss"] == "undefined", (path, seen)
        assert dialogs == [], (path, dialogs)
        assert seen["bad"] == [], (path, seen["bad"][:10])
        assert seen["sentinels"] >= least, (path, seen["sentinels"])  # the payloads were on the page
        if user is not None:
            sign_out(page)
        context.close()
