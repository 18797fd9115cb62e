"""RELIABILITY.md §3, negative tests 14-19: an XSS corpus (tests/security/xss_corpus.py) through every text field a
user controls, by the real write paths (the API, the reader's form, the account service), then every page, API
answer and email that shows the field checked inert with one checker (tests/security/inert.py).

Each payload travels with a sentinel (`zTI017z`: field TI, payload 17) so that every page says which payloads
of which field it showed: a check counts only where the payload was really there, and the pages a field is
meant to appear on must show all of them. The figures are printed at the end of the run (conftest.py).
"""

from __future__ import annotations

import base64
import datetime
import html as htmllib
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from articles.models import Article
from editorial.models import ReaderReport
from editorial.services.users import save_user_with_role
from reviewers.models import BoardMember
from tests.factories import BODY, PASSWORD, REFERENCES, make_user

from . import tally
from .hostile import (
    API,
    all_pages,
    api_as,
    api_returns,
    check_fragment,
    check_mail,
    check_page,
    drain,
    entry,
    expect,
    markdown_body,
    need,
    pack,
    references,
    reset_clients,
    strings_of,
    web_as,
    with_email,
)
from .inert import assert_inert, parse, problems
from .xss_corpus import (
    FAMILIES,
    HANDLER_MATRIX,
    HTML_URL_POSITIONS,
    MARKDOWN_URL_POSITIONS,
    NUL_PAYLOADS,
    PAYLOADS,
    SENTINEL,
    URL_FIELD_PAYLOADS,
    URL_VECTORS,
    J,
    has_line_break,
    sentinel,
)

pytestmark = [pytest.mark.django_db, pytest.mark.one_database]


@pytest.fixture(autouse=True)
def _fresh_clients():
    """Clients are kept for the length of one test (their users and sessions live as long)."""
    reset_clients()
    yield
    reset_clients()


TEXT_LIMIT = 19_000  # under the API's 20,000 characters a field
EVERY = range(len(PAYLOADS))
ONE_LINE = [i for i in EVERY if not has_line_break(PAYLOADS[i])]
MULTI_LINE = [i for i in EVERY if has_line_break(PAYLOADS[i])]
AT_END = "2100-01-01"  # the audit console's "what was live" at a date after everything


def article_url(article_id: int, rest: str = "") -> str:
    return f"{API}{article_id}/{rest}"


def transition(client, article_id: int, name: str, **data) -> dict:
    return expect(client.post(article_url(article_id, f"transitions/{name}/"), data, format="json"), 200)


def json_ld(html: str) -> dict:
    [script] = [s for s in parse(html).scripts if s.get("type") == "application/ld+json"]
    return json.loads(script.text)


def audit_pages(auditor, article_id: int) -> set[str]:
    client = web_as(auditor)
    found = check_page(client.get(f"/desk/audit/articles/{article_id}/"), "audit timeline")
    found |= all_pages(client, f"/desk/audit/?article={article_id}", "audit log")
    found |= check_page(client.get(f"/desk/audit/live/?article={article_id}&at={AT_END}"), "audit live")
    history = expect(api_as(auditor).get(article_url(article_id, "history/") + "?page_size=500"), 200)
    in_history = {m.group(0) for m in SENTINEL.finditer(json.dumps(history))}
    tally.record_found(in_history, "API JSON")
    return found | in_history


def inbox_pages(*users) -> set[str]:
    found: set[str] = set()
    for user in users:
        found |= all_pages(web_as(user), "/desk/notifications/", "inbox", where=f"inbox of {user.username}")
        data = expect(api_as(user).get("/api/v1/notifications/?page_size=500"), 200)
        tally.record_found({m.group(0) for m in SENTINEL.finditer(json.dumps(data))}, "API JSON")
    return found


# -- the checker and the corpus themselves -----------------------------------------------------------------------

DANGEROUS = {
    "script": "<p>x</p><script>alert(1)</script>",
    "script src": '<script src="https://evil.example/x.js"></script>',
    "static script with content": '<script src="/static/js/editorial.js">alert(1)</script>',
    "handler": "<img src=x onerror=alert(1)>",
    "handler on allowed tag": '<a href="https://example.org/" onclick="alert(1)">x</a>',
    "javascript href": '<a href="javascript:alert(1)">x</a>',
    "mixed case": '<a href=" JaVaScRiPt:alert(1)">x</a>',
    "entity tab": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "entity j": '<a href="&#106;avascript:alert(1)">x</a>',
    "control characters": '<a href="\x01\x1fjava\nscript:alert(1)">x</a>',
    "spaces around": '<a href=" \x0cjavascript:alert(1) ">x</a>',
    "vbscript": '<a href="vbscript:alert(1)">x</a>',
    "data href": '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>',
    "data img": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "formaction": '<button formaction="javascript:alert(1)">x</button>',
    "xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "iframe": '<iframe src="https://example.org/"></iframe>',
    "srcdoc": '<div srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></div>',
    "object": "<object data=x></object>",
    "embed": "<embed src=x>",
    "base": '<base href="https://evil.example/">',
    "foreign form": '<form action="https://evil.example/"><button>x</button></form>',
    "form to another route": '<form action="/desk/audit/"><button>x</button></form>',
    "form without an action": '<form method="post"><input name="password"><button>x</button></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "svg": "<svg><circle r=1 /></svg>",
    "math": "<math><mi>x</mi></math>",
    "style attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "style element": "<style>body{background:red}</style>",
    "json-ld breakout": '<script type="application/ld+json">{"a": "</script><script>alert(1)</script>"}</script>',
    "json-ld comment": '<script type="application/ld+json">{"a": "<!--"}</script>',
    "json-ld not json": '<script type="application/ld+json">alert(1)</script>',
    "link": '<link rel="import" href="https://evil.example/">',
    "htmx": '<div hx-on:click="alert(1)">x</div>',
    "htmx get": '<div hx-get="/x" hx-trigger="load">x</div>',
}
SAFE = {
    "text": "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;</p>",
    "attribute text": '<p title="&quot; onmouseover=alert(1) &lt;script&gt;">x</p>',
    "links": '<a href="https://example.org/">x</a> <a href="mailto:x@example.org">m</a> <a href="#ref-1">[1]</a>',
    "own scripts": '<script src="/static/js/editorial.js" defer></script>'
    '<script type="application/ld+json">{"name": "\\u003C/script\\u003E"}</script>',
    "own forms": '<form method="post" action="/accounts/logout/"></form><form id="audience-form" method="get"></form>',
    "own style": '<ul class="stack" style="list-style:none;padding:0"></ul>',
    # A URL parser drops no format character and no space inside, nor a no-break space around: these are
    # relative URLs (jav%C2%ADascript:...), not scripts.
    "format character in the scheme": '<a href="jav\u00adascript:alert(1)">x</a>',
    "space in the scheme": '<a href="jav ascript:alert(1)">x</a>',
    "no-break space before": '<a href="\u00a0javascript:alert(1)">x</a>',
    "right-to-left override before": '<a href="\u202ejavascript:alert(1)">x</a>',
}


@pytest.mark.parametrize("name", DANGEROUS)
def test_the_checker_fails_on_dangerous_markup(name):
    found = problems(DANGEROUS[name], allowed_forms={"logout", "reader-report"})
    assert found, f"the checker let {name!r} through"
    with pytest.raises(AssertionError):
        assert_inert(DANGEROUS[name], allowed_forms={"logout", "reader-report"})


@pytest.mark.parametrize("name", SAFE)
def test_the_checker_passes_the_pages_own_markup(name):
    assert problems(SAFE[name], allowed_forms={"logout"}) == []


def test_the_checker_passes_a_real_page_and_fails_it_with_one_payload(client, author, publish):
    from editorial.services import articles as article_services
    from editorial.services import workflow

    article = article_services.create_article(
        actor=author, title="Plain", body=BODY, references=REFERENCES, publication_policy="immediate"
    )
    article = publish(workflow.submit_article(article, actor=author))
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert problems(html, allowed_forms={"reader-report"}) == []
    spoiled = html.replace("</main>", '<img src=x onerror="window.__xss=1"></main>')
    assert problems(spoiled, allowed_forms={"reader-report"})


def _marker(payload: str) -> bool:
    decoded = htmllib.unescape(payload)
    for token in re.findall(r"base64,([A-Za-z0-9+/=]+)", payload):
        decoded += base64.b64decode(token).decode()
    decoded += re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), payload)
    return J in payload or "alert(1)" in payload or J in decoded


def test_the_corpus():
    assert len(PAYLOADS) >= 300 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert all(FAMILIES.values())
    unmarked = [p for p in PAYLOADS if not _marker(p)]
    assert unmarked == [], "every payload sets the marker if it runs"
    assert not [p for p in PAYLOADS if SENTINEL.search(p)], "no payload looks like a sentinel"
    # The URL-bearing positions the brief names, each with a javascript: URL.
    for position in (*MARKDOWN_URL_POSITIONS.values(), *HTML_URL_POSITIONS.values()):
        assert position(f"javascript:{J}") in PAYLOADS
    for needle in ("\u202e", "\u2066", "\u2069", "\u200b", "</script>", "<!--", "{{", "{%", "<math><mtext><table>"):
        assert any(needle in p for p in PAYLOADS), needle
    assert all("\x00" in p for p in NUL_PAYLOADS) and not any("\x00" in p for p in PAYLOADS)


# -- content: title, body, summary, references, change summary, decision comment ---------------------------------

CONTENT_PARTS = 4
# Text that is only ever escaped (a title, a printed name) gains nothing from Markdown link syntax, nor from the
# same handler on thirty tags: titles (500 characters, so a revision each few payloads) take the other payloads,
# and these ride along in the other fields of the revisions, where Markdown and the sanitiser read them.
MARKDOWN_URLS = {
    i for i in EVERY if any(PAYLOADS[i] == p(u) for p in MARKDOWN_URL_POSITIONS.values() for u in URL_VECTORS)
}
ESCAPED_ONLY_SKIPS = MARKDOWN_URLS | {PAYLOADS.index(p) for p in HANDLER_MATRIX}


def _revision_groups(indexes: list[int]) -> list[tuple[list[int], list[int]]]:
    """(title payloads, all payloads) of each revision: titles of at most 500 characters, the payloads titles
    skip spread over the revisions."""
    titled = [i for i in indexes if i not in ESCAPED_ONLY_SKIPS and not has_line_break(PAYLOADS[i])]
    extra = [i for i in indexes if i not in titled]
    groups = [group for _, group in pack("TI", titled, 500, joiner=" ", most=12)]
    return [(group, group + extra[k :: len(groups)]) for k, group in enumerate(groups)]


def _content(title: list[int], group: list[int], body_only: bool = False) -> dict:
    body, count = markdown_body(group)
    if body_only:
        return {"body": body, "references": references([], count)}
    return {
        "title": " ".join(entry("TI", i) for i in title),
        "body": body,
        "plain_language_summary": "\n\n".join(entry("SU", i) for i in group),
        "references": references(group, count),
        "change_summary": "\n".join(entry("CS", i) for i in group),
    }


@pytest.mark.parametrize("part", range(CONTENT_PARTS))
def test_content_fields_are_inert_everywhere(part, author, editor, board, auditor):
    """From revision 2 on, each revision's title, body, plain-language summary, references (citation, DOI) and
    change summary hold a group of payloads, written through the API; each revision is submitted, published and
    sent back with a signed decision whose comment holds the same group; every page that shows them is checked."""
    from editorial.services import publishing, workflow

    with_email(author)  # emails cost time: the author's carry every title and decision comment
    writer, desk = api_as(author), api_as(editor)
    indexes = list(EVERY)[part::CONTENT_PARTS]
    revisions = _revision_groups(indexes)
    body_seen: set[str] = set()
    mail_start = len(mail.outbox)
    data = {"title": f"Part {part}", "body": BODY, "references": REFERENCES, "publication_policy": "immediate"}
    article_id = expect(writer.post(API, data, format="json"), 201)["id"]
    expect(desk.post(article_url(article_id, "assignments/"), {"reviewer": board.username}, format="json"), 201)

    def fresh() -> Article:
        return Article.objects.get(pk=article_id)

    def review(number: int, comment: str) -> None:
        """Submitted, published, under review, and sent back by the board member with `comment`."""
        workflow.submit_article(fresh(), actor=author)
        if number == 1:
            expect(
                api_as(board).post(article_url(article_id, "conflicts/"), {"has_conflict": False}, format="json"), 201
            )
        publishing.request_publication(fresh(), actor=editor)
        assert drain() == []
        workflow.start_review(fresh(), actor=editor)
        workflow.record_decision(
            fresh(), verdict="request_changes", actor=board, comment=comment, password=PASSWORD, revision=number
        )

    review(1, "Please add the payloads.")

    def one_revision(number: int, title: list[int], group: list[int], fields: dict) -> None:
        expect(writer.patch(article_url(article_id), fields, format="json"), 200)
        workflow.revise_article(fresh(), actor=author)
        # The API: every value back as the text stored; the rendered HTML inert.
        revision = expect(writer.get(article_url(article_id, f"revisions/{number}/")), 200)
        assert revision["number"] == number
        for name in ("title", "body", "plain_language_summary", "change_summary"):
            if name in fields:
                assert revision[name] == fields[name].strip(), name
        assert [r["citation"] for r in revision["references"]] == [r["citation"].strip() for r in fields["references"]]
        assert [r["doi"] for r in revision["references"]] == [r.get("doi", "").strip() for r in fields["references"]]
        tally.record("BO", group, "API JSON")
        if "title" in fields:
            tally.record("TI", title, "API JSON")
            for code in ("SU", "CI", "DO", "CS"):
                tally.record(code, group, "API JSON")
        body_seen.update(check_fragment(revision["html"], "API rendered HTML", where=f"revision {number} html"))
        review(number, "\n".join(entry("DC", i) for i in group))

        # The public version, the workspace on this revision, the changes from the one before.
        slug = fresh().slug
        shown_body = [i for i in group if sentinel("BO", i) in body_seen]
        public = web_as().get(f"/articles/{slug}/v/{number}/")
        found = check_page(public, "public version", signed_in=False, where=f"public v{number}")
        need(found, "BO", shown_body, f"public v{number}")
        workspace = web_as(author).get(f"/desk/articles/{article_id}/?revision={number}")
        in_workspace = check_page(workspace, "workspace", where=f"workspace r{number}")
        need(in_workspace, "BO", shown_body, f"workspace r{number}")
        diff = web_as(author).get(f"/desk/articles/{article_id}/diff/{number - 1}/{number}/")
        in_diff = check_page(diff, "diff", where=f"diff {number - 1}-{number}")
        if "title" in fields:
            data = json_ld(public.content.decode())
            assert data["name"] == data["headline"] == fields["title"].strip()
            assert data["description"] == fields["plain_language_summary"].strip()[:500]
            assert [c["name"] for c in data["citation"]][: len(group)] == [entry("CI", i) for i in group]
            for where, shown in ((f"public v{number}", found), (f"workspace r{number}", in_workspace)):
                need(shown, "TI", title, where)
                for code in ("SU", "CI", "DO", "CS"):
                    need(shown, code, group, where)
            need(in_workspace, "DC", group, f"workspace r{number}")
            need(in_diff, "TI", title, f"diff {number - 1}-{number}")
            for code in ("CS", "SU", "CI"):
                need(in_diff, code, group, f"diff {number - 1}-{number}")
        if number == 2:
            api_diff = expect(writer.get(article_url(article_id, f"revisions/{number - 1}/diff/{number}/")), 200)
            check_fragment(api_diff["html"], "API diff HTML", where=f"API diff {number - 1}-{number}")

    number = 1
    for title, group in revisions:
        number += 1
        one_revision(number, title, group, _content(title, group))
    # A payload hidden by an earlier one in the same body (inside its unclosed comment or raw-text element) was
    # not rendered from a clean context: it goes again, in a body of its own group.
    for _ in range(10):
        missing = [i for i in indexes if sentinel("BO", i) not in body_seen]
        if not missing:
            break
        for _, group in pack("BO", missing, 4000, most=8):
            number += 1
            one_revision(number, [], group, _content([], group, body_only=True))
    assert [i for i in indexes if sentinel("BO", i) not in body_seen] == []

    # The pages that show the current state, the consoles, the inboxes and the emails.
    assert drain() == []
    article = fresh()
    last_title = revisions[-1][0]
    check_page(web_as().get(f"/articles/{article.slug}/"), "public article", signed_in=False)
    found = all_pages(web_as(), "/articles/", "public index", signed_in=False)
    need(found, "TI", last_title, "public index")
    for user in (board, editor, auditor):
        check_page(web_as(user).get(f"/desk/articles/{article_id}/"), "workspace", where=f"workspace ({user})")
    found = check_page(web_as(editor).get(f"/desk/editor/articles/{article_id}/"), "editor article")
    need(found, "DC", indexes, "editor article")
    need(found, "TI", last_title, "editor article")
    found = check_page(web_as(editor).get("/desk/editor/"), "editor desk")
    need(found, "TI", last_title, "editor desk")
    check_page(web_as(author).get("/desk/author/"), "author desk")
    check_page(web_as(board).get("/desk/review/"), "review queue")
    check_page(web_as(author).get(f"/desk/articles/{article_id}/edit/"), "article edit")
    preview = web_as(author).post(
        "/desk/articles/preview/", {"body": article.current_revision.body, "references-TOTAL_FORMS": "0"}
    )
    check_page(preview, "author preview")
    found = audit_pages(auditor, article_id)
    need(found, "DC", indexes, "audit timeline and log")
    need(found, "CS", indexes, "audit timeline and log")
    check_page(web_as(auditor).get("/desk/audit/verify/"), "audit verify")
    found = inbox_pages(author, editor)
    need(found, "DC", indexes, "inboxes")
    need(found, "TI", [i for t, _ in revisions for i in t], "inboxes", every=False)
    found = check_mail(mail_start)
    need(found, "DC", indexes, "emails")
    need(found, "TI", [i for t, _ in revisions for i in t], "emails", every=False)
    # The API's other answers: the article, its revisions, the decisions on the assignment.
    detail = expect(writer.get(article_url(article_id)), 200)
    assert detail["title"] == article.current_revision.title
    listed = expect(writer.get(article_url(article_id, "revisions/") + "?page_size=500"), 200)
    summaries = {f"r{n}": _content(*r)["change_summary"] for n, r in enumerate(revisions)}
    api_returns(listed, summaries, "CS", indexes, "revisions")
    assignments = expect(desk.get(article_url(article_id, "assignments/")), 200)
    comments = {d["comment"] for a in assignments.get("results", assignments) for d in a["decisions"]}
    assert comments >= {"\n".join(entry("DC", i) for i in g) for _, g in revisions}
    tally.record("DC", indexes, "API JSON")


# -- review: annotations, replies, resolve and reopen, conflict statements, decline reasons -------------------------


def _member(username: str, **kwargs):
    return make_user("board", username=username, **kwargs)


def test_review_fields_are_inert_everywhere(author, editor, auditor):
    """Annotation bodies and suggestions, replies, resolve responses, reopen reasons (one board member), conflict
    statements (two members who then cannot decide), decline reasons (two members), approvals with comments (two)."""
    from editorial.services import publishing

    annotator, deciders = _member("annotator"), [_member("decider1"), _member("decider2")]
    conflicted, decliners = (
        [_member("conflicted1"), _member("conflicted2")],
        [_member("decliner1"), _member("decliner2")],
    )
    with_email(author, editor, annotator, *conflicted)
    writer, desk = api_as(author), api_as(editor)
    chunks = {code: pack(code, EVERY, TEXT_LIMIT) for code in ("AB", "AS", "RE", "RR", "RO", "CO", "DE", "DC")}
    assert all(len(c) == 2 for c in chunks.values()), {code: len(c) for code, c in chunks.items()}
    mail_start = len(mail.outbox)

    # The body holds payloads too, for an annotation to quote: the quote is shown as text, the passage marked.
    quoted = [
        i for f in ("script", "markdown", "template", "unicode", "json_ld") for i in EVERY if PAYLOADS[i] in FAMILIES[f]
    ]
    body, count = markdown_body(quoted, code="QU")
    data = {"title": "Statins", "body": body, "references": references([], count), "quorum": 2}
    article_id = expect(writer.post(API, data, format="json"), 201)["id"]
    text = expect(writer.get(article_url(article_id, "revisions/1/")), 200)["text"]
    quote = text[text.index(sentinel("QU", quoted[0])) :].strip()
    assert len(quote) < 20_000 and {m.group(0) for m in SENTINEL.finditer(quote)} == {sentinel("QU", i) for i in quoted}
    transition(writer, article_id, "submit")
    assignment_ids = {}
    for member in (annotator, *deciders, *conflicted, *decliners):
        created = expect(
            desk.post(article_url(article_id, "assignments/"), {"reviewer": member.username}, format="json"), 201
        )
        assignment_ids[member.username] = created["id"]
    for member in (annotator, *deciders):
        expect(api_as(member).post(article_url(article_id, "conflicts/"), {"has_conflict": False}, format="json"), 201)
    for member, (statement, _) in zip(conflicted, chunks["CO"], strict=True):
        data = {"has_conflict": True, "statement": statement}
        declared = expect(api_as(member).post(article_url(article_id, "conflicts/"), data, format="json"), 201)
        assert declared["statement"] == statement.strip()
    for member, (reason, _) in zip(decliners, chunks["DE"], strict=True):
        url = article_url(article_id, f"assignments/{assignment_ids[member.username]}/decline/")
        declined = expect(api_as(member).post(url, {"reason": reason}, format="json"), 200)
        assert declined["status"] == "declined"
    transition(desk, article_id, "start_review")

    reviewer = api_as(annotator)
    annotation_ids = []
    for (body, _), (suggestion, _) in zip(chunks["AB"], chunks["AS"], strict=True):
        target = {"selector": [{"type": "TextQuoteSelector", "exact": text[: text.index(".") + 1]}]}
        data = {"revision": 1, "kind": "suggestion", "body": body, "suggestion": suggestion, "target": target}
        created = expect(reviewer.post(article_url(article_id, "annotations/"), data, format="json"), 201)
        assert created["body"] == body.strip() and created["suggestion"] == suggestion
        annotation_ids.append(created["id"])
    target = {"selector": [{"type": "TextQuoteSelector", "exact": quote}]}
    data = {"revision": 1, "kind": "comment", "body": "This passage.", "target": target}
    created = expect(reviewer.post(article_url(article_id, "annotations/"), data, format="json"), 201)
    assert created["target"]["selector"][0]["exact"] == quote
    tally.record("QU", quoted, "API JSON")
    for annotation_id, (reply, _), (response, _), (reason, _) in zip(
        annotation_ids, chunks["RE"], chunks["RR"], chunks["RO"], strict=True
    ):
        base = article_url(article_id, f"annotations/{annotation_id}/")
        expect(writer.post(base + "replies/", {"body": reply}, format="json"), 201)
        expect(reviewer.post(base + "resolve/", {"body": response}, format="json"), 200)
        expect(reviewer.post(base + "reopen/", {"body": reason}, format="json"), 200)
    for member, (comment, _) in zip(deciders, chunks["DC"], strict=True):
        transition(api_as(member), article_id, "approve", comment=comment, password=PASSWORD, revision=1)
    assert Article.objects.get(pk=article_id).state == "approved"
    publishing.request_publication(Article.objects.get(pk=article_id), actor=editor)
    assert drain() == []

    # The API gives every text back as it was stored.
    annotations = expect(writer.get(article_url(article_id, "annotations/") + "?page_size=100"), 200)
    for code in ("AB", "AS", "RE", "RR"):
        api_returns(annotations, {f"{code}{n}": t for n, (t, _) in enumerate(chunks[code])}, code, EVERY, "annotations")
    assignments = expect(desk.get(article_url(article_id, "assignments/")), 200)
    for code in ("CO", "DC"):
        api_returns(assignments, {f"{code}{n}": t for n, (t, _) in enumerate(chunks[code])}, code, EVERY, "assignments")
    conflicts = expect(desk.get(article_url(article_id, "conflicts/")), 200)
    api_returns(conflicts, {f"CO{n}": t for n, (t, _) in enumerate(chunks["CO"])}, "CO", EVERY, "conflicts")
    history = expect(api_as(auditor).get(article_url(article_id, "history/") + "?page_size=500"), 200)
    for code in ("RO", "DE", "RR", "DC"):
        api_returns(history, {f"{code}{n}": t for n, (t, _) in enumerate(chunks[code])}, code, EVERY, "history")

    # Every page that shows them.
    for user in (author, annotator, editor):
        response = web_as(user).get(f"/desk/articles/{article_id}/")
        found = check_page(response, "workspace", where=f"workspace ({user})")
        for code in ("AB", "AS", "RE", "RR", "DC"):
            need(found, code, EVERY, f"workspace ({user})")
        quotes = re.findall(r'<blockquote class="quote small">(.*?)</blockquote>', response.content.decode(), re.S)
        need({m.group(0) for q in quotes for m in SENTINEL.finditer(q)}, "QU", quoted, "the quote in the thread")
        marked = re.findall(r"<mark [^>]*>(.*?)</mark>", response.content.decode(), re.S)
        need({m.group(0) for q in marked for m in SENTINEL.finditer(q)}, "QU", quoted, "the marked passage")
    for member in conflicted:
        found = check_page(web_as(member).get(f"/desk/articles/{article_id}/"), "workspace")
        need(found, "CO", chunks["CO"][conflicted.index(member)][1], f"workspace ({member})")
    found = check_page(web_as(editor).get(f"/desk/editor/articles/{article_id}/"), "editor article")
    for code in ("CO", "DC"):
        need(found, code, EVERY, "editor article")
    check_page(web_as(decliners[0]).get("/desk/review/"), "review queue")
    found = audit_pages(auditor, article_id)
    for code in ("AB", "AS", "RE", "RR", "RO", "CO", "DE", "DC"):
        need(found, code, EVERY, "audit timeline and log")
    check_page(web_as().get(f"/articles/{Article.objects.get(pk=article_id).slug}/"), "public article", signed_in=False)
    found = inbox_pages(author, editor, annotator)
    mailed = check_mail(mail_start)
    for code in ("AB", "RE", "RR", "CO", "DC"):
        need(found, code, EVERY, "inboxes")
        need(mailed, code, EVERY, "emails")


# -- reasons: withdraw, reject, retract -------------------------------------------------------------------------------


def test_reasons_are_inert_everywhere(author, editor, board, auditor):
    """Withdraw reasons (the author), reject comments (a board member) and retraction reasons (an editor): each on
    the article's audit trail and, since each takes a published version down, on the public notice."""
    from editorial.services import articles as article_services
    from editorial.services import assignments as assignment_services
    from editorial.services import publishing, workflow

    with_email(author, editor)
    writer, desk, member = api_as(author), api_as(editor), api_as(board)
    mail_start = len(mail.outbox)

    def published(title: str, *, reviewed: bool = False) -> Article:
        article = article_services.create_article(
            actor=author, title=title, body=BODY, references=REFERENCES, publication_policy="immediate"
        )
        workflow.submit_article(article, actor=author)
        if reviewed:
            assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board.username)
            assignment_services.declare_conflict(article, actor=board, has_conflict=False)
            workflow.start_review(article, actor=editor)
        publishing.request_publication(article, actor=editor)
        assert drain() == []
        return Article.objects.get(pk=article.pk)

    cases = []  # (code, article, version number, reason chunk, payloads)
    for n, (reason, group) in enumerate(pack("WR", EVERY, TEXT_LIMIT)):
        article = published(f"Withdrawn {n}")
        transition(writer, article.pk, "withdraw", comment=reason)
        cases.append(("WR", article, 1, reason, group))
    for n, (reason, group) in enumerate(pack("RJ", EVERY, TEXT_LIMIT)):
        article = published(f"Rejected {n}", reviewed=True)
        transition(member, article.pk, "reject", comment=reason, password=PASSWORD, revision=1)
        cases.append(("RJ", article, 1, reason, group))
    retracted = published("Retracted")
    for number, (reason, group) in enumerate(pack("RT", EVERY, TEXT_LIMIT), start=1):
        if number > 1:
            publishing.request_publication(retracted, actor=editor)
            assert drain() == []
        expect(desk.post(article_url(retracted.pk, "retract/"), {"reason": reason}, format="json"), 200)
        cases.append(("RT", retracted, number, reason, group))
    assert drain() == []

    for code, article, number, reason, group in cases:
        where = f"{tally.FIELDS[code]} on {article.slug} v{number}"
        found = check_page(
            web_as().get(f"/articles/{article.slug}/v/{number}/"), "public 410", status=410, signed_in=False
        )
        need(found, code, group, where)
        versions = expect(desk.get(article_url(article.pk, "versions/")), 200)
        assert any(reason.strip() in s for s in strings_of(versions)), where
        tally.record(code, group, "API JSON")
    for article in {c[1].pk: c[1] for c in cases}.values():
        found = check_page(web_as().get(f"/articles/{article.slug}/"), "public 410", status=410, signed_in=False)
        found |= check_page(web_as(editor).get(f"/desk/editor/articles/{article.pk}/"), "editor article")
        found |= check_page(web_as(author).get(f"/desk/articles/{article.pk}/"), "workspace")
        found |= audit_pages(auditor, article.pk)
        for code, _, _, _, group in [c for c in cases if c[1].pk == article.pk]:
            need(found, code, group, f"pages of {article.slug}")
    found = inbox_pages(author, editor)
    mailed = check_mail(mail_start)
    for code in ("WR", "RJ", "RT"):
        need(found, code, EVERY, "inboxes")
        need(mailed, code, EVERY, "emails")


# -- reader reports: problem reports and questions (anonymous), their email field, the editors' answers -------------


def test_reader_reports_are_inert_everywhere(author, editor, auditor):
    from editorial.services import articles as article_services
    from editorial.services import publishing, workflow

    with_email(editor)
    article = article_services.create_article(
        actor=author, title="Statins", body=BODY, references=REFERENCES, publication_policy="immediate"
    )
    workflow.submit_article(article, actor=author)
    publishing.request_publication(article, actor=editor)
    assert drain() == []
    slug = Article.objects.get(pk=article.pk).slug
    reader = web_as()
    mail_start = len(mail.outbox)

    sent = {}
    for kind, code in (("problem", "RM"), ("question", "RQ")):
        for message, group in pack(code, EVERY, 4900):
            data = {"kind": kind, "version": "1", "message": message, "email": "", "audience": "", "website": ""}
            # Anonymous readers, five messages an hour from one address: each message from its own.
            response = reader.post(f"/articles/{slug}/feedback/", data, REMOTE_ADDR=f"198.51.100.{len(sent) + 1}")
            assert response.status_code == 302, response.content[:500]
            sent[message] = (code, group)
    assert drain() == []
    stored = {r.message for r in ReaderReport.objects.all()}
    assert stored == {m.strip() for m in sent}

    found = all_pages(web_as(editor), "/desk/editor/reports/", "reader reports")
    for code, group in sent.values():
        need(found, code, group, "reader reports (open)")
    # The editors answer two of them (the answer holds the corpus) and close the rest.
    answers = pack("TR", EVERY, TEXT_LIMIT)
    reports = list(ReaderReport.objects.order_by("pk"))
    for n, report in enumerate(reports):
        response, outcome = (answers[n][0], "answered") if n < len(answers) else ("Thank you.", "closed")
        data = {"outcome": outcome, "response": response}
        assert web_as(editor).post(f"/desk/editor/reports/{report.pk}/triage/", data).status_code == 302
    assert ReaderReport.objects.filter(status="answered").count() == len(answers)
    found = all_pages(web_as(editor), "/desk/editor/reports/", "reader reports", where="reader reports (handled)")
    need(found, "TR", EVERY, "reader reports (handled)")
    for code, group in sent.values():
        need(found, code, group, "reader reports (handled)")
    found = audit_pages(auditor, article.pk)
    need(found, "TR", EVERY, "audit timeline and log")
    # The editors' notification carries the first 1,000 characters of each message.
    found = inbox_pages(editor) | check_mail(mail_start)
    need(found, "RM", EVERY, "inbox and emails", every=False)
    need(found, "RQ", EVERY, "inbox and emails", every=False)

    # A refused message is shown again in the form: the email address field (none of these is an address).
    for email, group in pack("EM", EVERY, 1500, joiner=" "):
        data = {"kind": "problem", "version": "1", "message": "See the email field.", "email": email, "website": ""}
        response = reader.post(f"/articles/{slug}/feedback/", data, REMOTE_ADDR="198.51.100.200")
        found = check_page(response, "public 400 (form echoed)", status=400, signed_in=False)
        need(found, "EM", group, "the refused form")
        tally.refused("EM", group)
    assert ReaderReport.objects.count() == len(reports)


# -- names: board members' printed names, users' full names -----------------------------------------------------------

NAME_PARTS = 2
# A printed name is plain text wherever it is shown, as a title is.
NAME_PAYLOADS = [i for i in ONE_LINE if i not in ESCAPED_ONLY_SKIPS]
QUORUM = 10  # the most members whose names one approval carries


@pytest.mark.parametrize("part", range(NAME_PARTS))
def test_names_are_inert_everywhere(part, author, editor, auditor):
    """Board members whose printed names hold the payloads (200 characters each, as the account service or the
    factory stores them) assigned to articles that they approve, ten to an article: their names are on the public
    page, its JSON-LD, the signatures in the workspace, the editor's page and the audit console, and in the
    notifications. The author's and the editor's own full names hold payloads too."""
    from editorial.services import articles as article_services
    from editorial.services import assignments as assignment_services
    from editorial.services import publishing, workflow

    indexes = NAME_PAYLOADS[part::NAME_PARTS]
    # The account service splits a name at its first space into first and last names (150 characters each).
    author_name, editor_name = (text for text, _ in pack("FN", indexes, 150, joiner=" ")[:2])
    author = save_user_with_role(username="author", role="author", password=PASSWORD, name=author_name)
    editor = save_user_with_role(username="editor", role="editor", password=PASSWORD, name=editor_name)
    assert author.get_full_name() == author_name
    with_email(author)  # emails cost time: the author's carry the names (in subjects, and "Hello ...")
    # Printed names of 200 characters (the model's limit); the first of each ten made by the account service,
    # whose name is also the user's full name, so 150 characters (the last name's limit).
    names, rest = [], list(indexes)
    while rest:
        names.append(pack("DN", rest, 150 if len(names) % QUORUM == 0 else 200, joiner=" ")[0])
        rest = rest[len(names[-1][1]) :]
    members, through_the_service = [], []
    for n, (name, group) in enumerate(names):
        if n % QUORUM == 0:
            through_the_service += group
            user = save_user_with_role(
                username=f"member{n}",
                role="board",
                password=PASSWORD,
                name=name,
                specialties=["cardiology"],
                credentials_valid_until=datetime.date.today() + datetime.timedelta(days=365),
            )
        else:
            user = make_user("board", username=f"member{n}", display_name=name)
        assert user.board_profile.display_name == name
        members.append((user, group))
    mail_start = len(mail.outbox)
    articles = []
    for start in range(0, len(members), QUORUM):
        team = members[start : start + QUORUM]
        article = article_services.create_article(
            actor=author, title=f"Names {start}", body=BODY, references=REFERENCES, quorum=len(team)
        )
        workflow.submit_article(article, actor=author)
        for user, _ in team:
            assignment_services.assign_reviewer(article, actor=editor, reviewer_username=user.username)
            assignment_services.declare_conflict(article, actor=user, has_conflict=False)
        workflow.start_review(article, actor=editor)
        for user, _ in team:
            workflow.record_decision(article, verdict="approve", actor=user, password=PASSWORD, revision=1)
        publishing.request_publication(article, actor=editor)
        assert drain() == []
        articles.append((Article.objects.get(pk=article.pk), [i for _, g in team for i in g]))

    for article, group in articles:
        public = web_as().get(f"/articles/{article.slug}/")
        found = check_page(public, "public article", signed_in=False)
        need(found, "DN", group, f"public page of {article.slug}")
        reviewed_by = [p["name"] for p in json_ld(public.content.decode())["reviewedBy"]]
        assert sorted(reviewed_by) == sorted(n for n, g in names if set(g) <= set(group))
        assignments = expect(api_as(editor).get(article_url(article.pk, "assignments/")), 200)
        assert {a["reviewer_name"] for a in assignments["results"]} == set(reviewed_by)
        tally.record("DN", group, "API JSON")
        for where, response, page in (
            ("workspace", web_as(author).get(f"/desk/articles/{article.pk}/"), "workspace"),
            ("editor article", web_as(editor).get(f"/desk/editor/articles/{article.pk}/"), "editor article"),
            ("audit timeline", web_as(auditor).get(f"/desk/audit/articles/{article.pk}/"), "audit timeline"),
            ("audit live", web_as(auditor).get(f"/desk/audit/live/?article={article.pk}&at={AT_END}"), "audit live"),
        ):
            found = check_page(response, page, where=f"{where} of {article.slug}")
            need(found, "DN", group, f"{where} of {article.slug}")
            if page == "workspace":
                need(found, "FN", [indexes[0]], "workspace (the author's name)")
            if page in ("editor article", "audit timeline", "audit live"):
                need(found, "FN", [i for i in indexes if sentinel("FN", i) in editor_name][:1], f"{where}: editor")
    for user, group in members[::QUORUM]:  # made by the account service: their own pages greet them by name
        found = check_page(web_as(user).get("/desk/review/"), "review queue", where=f"review queue of {user}")
        need(found, "DN", group, f"the header of {user}'s review queue")
    found = all_pages(web_as(auditor), "/desk/audit/?action=user.update&action=user.create", "audit log")
    need(found, "FN", [indexes[0]], "audit log (the accounts)")
    need(found, "DN", through_the_service, "audit log (the accounts)")
    found = inbox_pages(author, editor)
    need(found, "DN", indexes, "inboxes", every=False)
    found = check_mail(mail_start)
    need(found, "DN", indexes, "emails", every=False)
    need(found, "FN", indexes, "emails (Hello ...)", every=False)


# -- fields with a format rule: reference URL (http/https), PMID (digits), no NUL anywhere, titles on one line ------

DANGEROUS_SCHEMES = re.compile(r"^\W*(javascript|vbscript|data|livescript)", re.I)


def test_reference_urls_are_http_only_and_inert(author, editor):
    """Every URL payload in a reference's URL field: the dangerous schemes refused with a 400 naming that
    reference; the http(s) URLs that carry markup stored as they are and shown only inside an href or as text."""
    from editorial.services import publishing, workflow

    writer = api_as(author)
    refs = [
        {"kind": "guideline", "citation": f"Reference {n}", "year": 2020, "url": url}
        for n, url in enumerate(URL_FIELD_PAYLOADS)
    ]
    body = "Cited " + " ".join(f"[{n}]" for n in range(1, len(refs) + 1)) + "."
    refused = expect(writer.post(API, {"title": "Links", "body": body, "references": refs}, format="json"), 400)
    errors = refused["errors"]["references"]  # by the reference's index
    bad = {int(n) for n, e in errors.items() if "url" in e}
    tally.refused("UR", bad)
    assert not Article.objects.exists()
    for n, url in enumerate(URL_FIELD_PAYLOADS):
        if DANGEROUS_SCHEMES.match(htmllib.unescape(url)) or not url.strip().lower().startswith(("http:", "https:")):
            assert n in bad, f"{url!r} was accepted"
    accepted = [n for n in range(len(URL_FIELD_PAYLOADS)) if n not in bad]
    assert accepted, "no http(s) URL was accepted"
    refs = [refs[n] for n in accepted]
    body = "Cited " + " ".join(f"[{n}]" for n in range(1, len(refs) + 1)) + "."
    data = {"title": "Links", "body": body, "references": refs, "publication_policy": "immediate"}
    article_id = expect(writer.post(API, data, format="json"), 201)["id"]
    revision = expect(writer.get(article_url(article_id, "revisions/1/")), 200)
    assert [r["url"] for r in revision["references"]] == [r["url"] for r in refs]
    tally.record("UR", accepted, "API JSON")
    article = workflow.submit_article(Article.objects.get(pk=article_id), actor=author)
    publishing.request_publication(article, actor=editor)
    assert drain() == []
    slug = Article.objects.get(pk=article_id).slug
    for page, client, url in (
        ("public article", web_as(), f"/articles/{slug}/"),
        ("workspace", web_as(author), f"/desk/articles/{article_id}/"),
        ("diff", web_as(author), f"/desk/articles/{article_id}/diff/1/1/"),
    ):
        response = client.get(url)
        check_page(response, page, signed_in=page != "public article")
        parsed = parse(response.content.decode())
        shown = parsed.text + parsed.attribute_text
        for n in accepted:
            assert URL_FIELD_PAYLOADS[n] in shown or page == "diff", (page, URL_FIELD_PAYLOADS[n])
        if page != "diff":
            tally.record("UR", accepted, page)
    links = [json.loads(s.text) for s in parse(web_as().get(f"/articles/{slug}/").content.decode()).scripts if s.text]
    assert {c.get("url") for c in links[0]["citation"]} >= {URL_FIELD_PAYLOADS[n] for n in accepted}


def test_pmids_are_digits_only(author):
    """Every payload as a PMID, in one request: each reference refused, nothing stored."""
    refs = [{"kind": "research", "citation": f"Reference {i}", "year": 2020, "pmid": PAYLOADS[i]} for i in EVERY]
    body = "Cited " + " ".join(f"[{n}]" for n in range(1, len(refs) + 1)) + "."
    refused = expect(api_as(author).post(API, {"title": "PMIDs", "body": body, "references": refs}, format="json"), 400)
    errors = refused["errors"]["references"]  # by the reference's index
    assert [i for i in EVERY if "pmid" not in errors.get(str(i), {})] == []
    tally.refused("PM", EVERY)
    assert not Article.objects.exists()


def test_nul_is_refused_in_every_text_field(author, editor, board):
    """A NUL character: the API refuses it (400) in the title, body, summary, citation, DOI, change summary,
    annotation and reply; the reader's form refuses it and shows the message again, inert."""
    from editorial.services import publishing, workflow

    writer, desk = api_as(author), api_as(editor)
    article_id = expect(
        writer.post(
            API,
            {"title": "Statins", "body": BODY, "references": REFERENCES, "publication_policy": "immediate"},
            format="json",
        ),
        201,
    )["id"]
    for n, payload in enumerate(NUL_PAYLOADS):
        text = f"{sentinel('NU', n)} {payload}"
        for field, value in (
            ("title", text),
            ("body", BODY + "\n\n" + text),
            ("plain_language_summary", text),
            ("change_summary", text),
            ("references", [{**REFERENCES[0], "citation": text}, REFERENCES[1]]),
            ("references", [{**REFERENCES[0], "doi": text}, REFERENCES[1]]),
        ):
            refused = expect(writer.patch(article_url(article_id), {field: value}, format="json"), 400)
            assert field in refused["errors"], refused
    assert Article.objects.get(pk=article_id).current_revision.number == 1
    article = workflow.submit_article(Article.objects.get(pk=article_id), actor=author)
    publishing.request_publication(article, actor=editor)
    assert drain() == []
    expect(desk.post(article_url(article_id, "assignments/"), {"reviewer": board.username}, format="json"), 201)
    expect(api_as(board).post(article_url(article_id, "conflicts/"), {"has_conflict": False}, format="json"), 201)
    transition(desk, article_id, "start_review")
    target = {"selector": [{"type": "TextQuoteSelector", "exact": "Statins lower LDL"}]}
    slug = Article.objects.get(pk=article_id).slug
    for n, payload in enumerate(NUL_PAYLOADS):
        text = f"{sentinel('NU', n)} {payload}"
        data = {"revision": 1, "kind": "comment", "body": text, "target": target}
        expect(api_as(board).post(article_url(article_id, "annotations/"), data, format="json"), 400)
        data = {"kind": "question", "version": "1", "message": text, "email": "", "website": ""}
        response = web_as().post(f"/articles/{slug}/feedback/", data, REMOTE_ADDR=f"198.51.100.{n + 1}")
        check_page(response, "public 400 (form echoed)", status=400, signed_in=False)
    tally.refused("NU", range(len(NUL_PAYLOADS)))
    assert not ReaderReport.objects.exists()


def test_titles_with_line_breaks_are_refused_or_inert(author, editor):
    """Titles holding a line break (the multi-line payloads): refused with a 400 on the title (the coming rule), or
    stored and shown inert."""
    writer = api_as(author)
    for title, group in pack("TL", MULTI_LINE, 500, joiner=" "):
        data = {"title": title, "body": BODY, "references": REFERENCES}
        response = writer.post(API, data, format="json")
        if response.status_code == 400:
            assert "title" in response.json()["errors"]
            tally.refused("TL", group)
            continue
        article_id = expect(response, 201)["id"]
        assert expect(writer.get(article_url(article_id, "revisions/1/")), 200)["title"] == title.strip()
        tally.record("TL", group, "API JSON")
        found = check_page(web_as(author).get(f"/desk/articles/{article_id}/"), "workspace")
        need(found, "TL", group, "workspace")
        found = check_page(web_as(editor).get(f"/desk/editor/articles/{article_id}/"), "editor article")
        need(found, "TL", group, "editor article")
    check_page(web_as(author).get("/desk/author/"), "author desk")


def test_a_title_with_a_line_break_is_refused(author):
    """A line break would reach email subjects; it is refused with 400 naming the field, and nothing is made."""
    payload = next(p for p in PAYLOADS if "\n" in p)
    data = {"title": f"Statins {payload}", "body": BODY, "references": REFERENCES}
    response = api_as(author).post(API, data, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["title"]
    assert not Article.objects.exists()


def test_a_printed_name_with_a_line_break_is_refused(author):
    from editorial.exceptions import InvalidInput

    payload = next(p for p in PAYLOADS if "\n" in p)
    with pytest.raises(InvalidInput) as refused:
        save_user_with_role(username="member", role="board", password=PASSWORD, name=f"Dr {payload}")
    assert refused.value.extra["errors"] == {"name": ["Must be one line: remove the line breaks."]}
    assert not get_user_model().objects.filter(username="member").exists()


def test_a_printed_name_stored_with_a_line_break_still_reaches_everyone(author, editor):
    """One stored before names had to be one line: the notifications about its decisions are delivered."""
    from editorial.models import Notification
    from editorial.services import articles as article_services
    from editorial.services import assignments as assignment_services
    from editorial.services import workflow

    with_email(author, editor)
    payload = next(p for p in PAYLOADS if "\n" in p)
    member = save_user_with_role(username="member", role="board", password=PASSWORD, name="Dr Member")
    BoardMember.objects.filter(user=member).update(display_name=f"Dr {payload}")
    article = article_services.create_article(actor=author, title="Statins", body=BODY, references=REFERENCES)
    workflow.submit_article(article, actor=author)
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=member.username)
    assignment_services.declare_conflict(article, actor=member, has_conflict=False)
    workflow.start_review(article, actor=editor)
    workflow.record_decision(article, verdict="request_changes", actor=member, password=PASSWORD, revision=1)
    assert drain() == []
    assert Notification.objects.filter(recipient=editor, kind="decision").exists()
