"""Markdown bodies to sanitised HTML and to the plain text that annotation positions count in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.etree import ElementTree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

# `[12]` not followed by `(` or `[` (unless another marker, as in `[1][2]`): a citation marker, not a link.
CITATION_PATTERN = r"\[(\d{1,4})\](?!\(|\[(?!\d{1,4}\]))"

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
    "sup",
    "sub",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "abbr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_CLASSES = {"a": {"citation"}, "sup": {"citation"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


class _CitationProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: markdown.Markdown, found: list[int]):
        super().__init__(pattern, md)
        self.found = found

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (Markdown's API)
        number = int(m.group(1))
        self.found.append(number)
        sup = ElementTree.Element("sup")
        sup.set("class", "citation")
        link = ElementTree.SubElement(sup, "a")
        link.set("href", f"#ref-{number}")
        link.set("class", "citation")
        link.text = AtomicString(f"[{number}]")  # not re-scanned for markers
        return sup, m.start(0), m.end(0)


class _CitationExtension(Extension):
    def __init__(self, found: list[int]):
        super().__init__()
        self.found = found

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        # Above the link processors (160) so `[1]` never becomes a reference link.
        md.inlinePatterns.register(_CitationProcessor(CITATION_PATTERN, md, self.found), "citation", 175)


@dataclass
class RenderedBody:
    html: str
    text: str
    citations: list[int] = field(default_factory=list)


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_body(body: str) -> RenderedBody:
    """Render a Markdown body: sanitised HTML, its plain text, and the citation markers used."""
    found: list[int] = []
    md = markdown.Markdown(extensions=["tables", "sane_lists", _CitationExtension(found)], output_format="html")
    html = sanitise_html(md.convert(body))
    return RenderedBody(html=html, text=html_to_text(html), citations=found)


_BLOCK_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "table",
    "hr",
    "tr",
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag in ("li", "br"):
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if "\n" in data and not data.strip():
            return  # the renderer's line breaks between block elements
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of sanitised HTML: block elements separated by blank lines, entities decoded."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


@dataclass
class CitationReport:
    missing: list[int]  # markers with no reference
    uncited: list[int]  # references no marker points to

    @property
    def complete(self) -> bool:
        return not self.missing and not self.uncited

    def sentence(self) -> str:
        parts = []
        if self.missing:
            parts.append("no reference for " + ", ".join(f"[{n}]" for n in self.missing))
        if self.uncited:
            parts.append("never cited: reference " + ", ".join(str(n) for n in self.uncited))
        return "Citations do not match the references: " + "; ".join(parts) + "."


def check_citations(citations: list[int], reference_numbers: list[int]) -> CitationReport:
    cited = set(citations)
    numbered = set(reference_numbers)
    return CitationReport(missing=sorted(cited - numbered), uncited=sorted(numbered - cited))
