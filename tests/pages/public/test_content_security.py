"""Nothing an author types runs in a reader's browser: title, body, references and the plain-language
summary are inert on the page and in the JSON-LD."""

from __future__ import annotations

import pytest

from tests.factories import reviewed_article

from .helpers import json_ld, page_url, tags_of

pytestmark = pytest.mark.django_db

TITLE = '</script><script>alert("title")</script> Is <b>this</b> safe & sound?'
BODY = (
    "## From the Guidelines\n\n"
    "<script>alert('body')</script> <img src=x onerror=alert('img')> "
    '<a href="javascript:alert(1)" onclick="alert(2)">click</a> [link](javascript:alert(3)) '
    "<iframe src=https://evil.example></iframe> Guidance [1].\n\n"
    "## From the Research\n\n<svg onload=alert(4)></svg> Trial [2]."
)
REFERENCES = [
    {
        "kind": "guideline",
        "citation": "<script>alert('citation')</script><img src=x onerror=alert(5)>",
        "year": 2020,
        "doi": '10.1000/x"><script>alert(6)</script>',
        "pmid": "<b>7</b>",
        "url": "javascript:alert(8)",
    },
    {"kind": "research", "citation": "Plain trial", "year": 2021, "url": "data:text/html,<script>alert(9)</script>"},
]
SUMMARY = "</script><script>alert('summary')</script> <img src=x onerror=alert(10)> & more"


@pytest.fixture
def hostile(author, editor, board, publish):
    article = reviewed_article(
        author,
        editor,
        [board],
        state="approved",
        title=TITLE,
        body=BODY,
        references=REFERENCES,
        plain_language_summary=SUMMARY,
    )
    return publish(article)


@pytest.mark.parametrize("audience", ["", "patient", "professional"])
def test_hostile_content_is_inert(client, hostile, audience):
    if audience:
        client.cookies["audience"] = audience
    response = client.get(page_url(hostile))
    assert response.status_code == 200
    html = response.content.decode()
    parsed = tags_of(html)
    # The only scripts: the static files, and the JSON-LD block.
    for attributes, text in parsed.scripts:
        if attributes.get("src"):
            assert attributes["src"].startswith("/static/js/") and not text.strip(), attributes
        else:
            assert attributes == {"type": "application/ld+json"}, attributes
    assert sum(1 for attributes, _ in parsed.scripts if not attributes.get("src")) == 1
    # No element the content could have made: no handlers, no script URLs, no embedded objects.
    for tag, attributes in parsed.tags:
        assert tag not in ("img", "iframe", "svg", "object", "embed"), tag
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action"):
                assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (tag, value)
    # The JSON-LD cannot be closed from inside, and still carries the real text.
    block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block and "</script" not in block.lower()
    data = json_ld(html)
    assert data["name"] == TITLE
    assert data["description"] == SUMMARY
    assert data["citation"][0]["name"] == REFERENCES[0]["citation"]
    assert "url" not in data["citation"][1]  # a data: URL is never linked
    # The text is shown, escaped.
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; Is &lt;b&gt;this&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(&#x27;citation&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;summary&#x27;)&lt;/script&gt;" in html


def test_reference_links_are_only_http(client, hostile):
    html = client.get(page_url(hostile)).content.decode()
    hrefs = [attributes.get("href", "") for tag, attributes in tags_of(html).tags if tag == "a"]
    reference_links = [h for h in hrefs if "doi.org" in h or "pubmed" in h or "example" in h]
    assert reference_links, hrefs
    assert all(h.startswith("https://") for h in reference_links), reference_links
    # The DOI is linked percent-encoded; the non-numeric PMID is shown as text, not linked.
    assert any(h.startswith("https://doi.org/10.1000/x%22%3E%3Cscript%3E") for h in reference_links)
    assert "PMID &lt;b&gt;7&lt;/b&gt;" in html
    assert not any("pubmed" in h for h in reference_links)


def test_index_and_retraction_notice_escape_content(client, editor, hostile):
    html = client.get("/articles/").content.decode()
    assert "<script>alert" not in html and "&lt;/script&gt;&lt;script&gt;" in html
    from editorial.services import publishing

    publishing.retract_live_version(hostile, actor=editor, reason="<script>alert('reason')</script>")
    gone = client.get(page_url(hostile))
    assert gone.status_code == 410
    body = gone.content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;" in body
