"""Markdown bodies to sanitised HTML and to the plain text that annotation positions count in."""

from __future__ import annotations

import re
from bisect import bisect_left
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
    # (tag, start, end) of each text block of `text` (see text_blocks): where headings, paragraphs,
    # list items and table cells stand, for checks that treat them differently.
    blocks: list[tuple[str, int, int]] = field(default_factory=list)


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
    return RenderedBody(html=html, text=html_to_text(html), citations=found, blocks=text_blocks(html))


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


# Elements whose content is one block of the plain text. They may nest (a list item holding
# paragraphs, a quotation holding paragraphs, a list inside a list item).
TEXT_BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _BlockExtractor(_TextExtractor):
    """The text extractor that also notes where each text block starts and ends in its raw output."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[list] = []  # [tag, raw start, raw end], in document order
        self._open: list[int] = []  # indexes into spans of the blocks not yet closed
        self._length = 0
        self._counted = 0

    def _position(self) -> int:
        # Length of the raw output so far, counted incrementally rather than re-joined.
        while self._counted < len(self.parts):
            self._length += len(self.parts[self._counted])
            self._counted += 1
        return self._length

    def handle_starttag(self, tag: str, attrs) -> None:
        super().handle_starttag(tag, attrs)
        if tag in TEXT_BLOCK_TAGS:
            self._open.append(len(self.spans))
            self.spans.append([tag, self._position(), None])

    def handle_endtag(self, tag: str) -> None:
        if tag in TEXT_BLOCK_TAGS:
            open_tags = [self.spans[i][0] for i in self._open]
            if tag in open_tags:
                # Close this block and anything left open inside it.
                depth = len(open_tags) - 1 - open_tags[::-1].index(tag)
                for i in self._open[depth:]:
                    self.spans[i][2] = self._position()
                del self._open[depth:]
        super().handle_endtag(tag)

    def close(self) -> None:
        super().close()
        for i in self._open:
            self.spans[i][2] = self._position()
        self._open = []


def text_blocks(html: str) -> list[tuple[str, int, int]]:
    """(tag, start, end) of each non-empty text block of `html_to_text(html)`, in document order.

    `text[start:end]` is the block's own text as html_to_text gives it (without surrounding
    whitespace); blocks may nest. Tags are those of TEXT_BLOCK_TAGS (headings are h1..h6).
    html_to_text only removes or rewrites whitespace, so the n-th non-whitespace character of its
    raw output is the n-th of the final text: positions are carried over through that count.
    """
    parser = _BlockExtractor()
    parser.feed(html)
    parser.close()
    raw = "".join(parser.parts)
    text = html_to_text(html)
    raw_marks = [i for i, c in enumerate(raw) if not c.isspace()]
    text_marks = [i for i, c in enumerate(text) if not c.isspace()]
    if len(raw_marks) != len(text_marks):  # html_to_text changed beyond whitespace: no blocks rather than wrong ones
        return []
    blocks = []
    for tag, raw_start, raw_end in parser.spans:
        first, last = bisect_left(raw_marks, raw_start), bisect_left(raw_marks, raw_end) - 1
        if first <= last:
            blocks.append((tag, text_marks[first], text_marks[last] + 1))
    return blocks


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
