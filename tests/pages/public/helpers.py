"""Reading the public page in tests: its tags, its JSON-LD, its review stepper."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from articles.models import Article
from editorial.services import articles as article_services
from editorial.services import workflow

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
BANNER = "Educational purpose only • Exercise caution as content is pending human review"
BOARD_STATEMENT = "All articles are reviewed for accuracy by our Medical Advisory Board"


def page_url(article: Article, number: int | None = None) -> str:
    if number is None:
        return f"/articles/{article.slug}/"
    return f"/articles/{article.slug}/v/{number}/"


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script, self._text = attributes, []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def tags_of(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def json_ld(html: str) -> dict:
    [block] = JSON_LD.findall(html)
    return json.loads(block)


def stepper_status(html: str) -> str:
    [status] = re.findall(r'<ol class="stepper"[^>]*data-status="([a-z_]+)"', html)
    current = re.findall(r'<li class="[^"]*current[^"]*" aria-current="step" data-step="([a-z_]+)"', html)
    assert current == [status], (current, status)
    return status


def new_version(article: Article, *, author, body: str, references: list[dict], change_summary: str) -> Article:
    """Revise an approved (or changes-requested) article into a new submitted revision."""
    workflow.revise_article(article, actor=author)
    article_services.edit_article(
        Article.objects.get(pk=article.pk),
        actor=author,
        body=body,
        references=references,
        change_summary=change_summary,
    )
    workflow.submit_article(Article.objects.get(pk=article.pk), actor=author)
    return Article.objects.get(pk=article.pk)


def citing_body(n: int) -> str:
    guidelines = " ".join(f"[{i}]" for i in range(1, n + 1, 2))
    research = " ".join(f"[{i}]" for i in range(2, n + 1, 2))
    return f"## From the Guidelines\n\nGuidance {guidelines}.\n\n## From the Research\n\nTrials {research}."


def references(n: int) -> list[dict]:
    return [
        {
            "kind": "guideline" if i % 2 else "research",
            "citation": f"Reference number {i}",
            "year": 2000 + i,
            "doi": f"10.1000/ref{i}",
            "pmid": str(1000 + i),
            "url": f"https://example.org/ref/{i}",
        }
        for i in range(1, n + 1)
    ]
