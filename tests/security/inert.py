"""`assert_inert(html)`: nothing in a page (or an HTML fragment, or an HTML email) can run script.

Parsed with the standard library's html.parser (attribute values come back entity-decoded, as a browser reads
them). What the page's own templates write is allowed, and only that: scripts from /static/, the JSON-LD block
(valid JSON that cannot end its element), forms that post to the project's own routes, and the style
attributes and <style> elements written literally in the templates. Everything else that could run script is
a failure: <script>, on* attributes, javascript:/vbscript:/data: URLs in any URL attribute, <iframe>,
<object>, <embed>, <base>, <meta http-equiv>, <svg>, <math>, style from content, htmx event/eval attributes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", ROOT / "editorial" / "templates"]

URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "data",
        "xlink:href",
        "poster",
        "background",
        "lowsrc",
        "dynsrc",
        "codebase",
        "cite",
        "ping",
        "longdesc",
        "srcset",
        "icon",
        "manifest",
        "hx-get",
        "hx-post",
        "hx-put",
        "hx-patch",
        "hx-delete",
        "data-hx-get",
        "data-hx-post",
    }
)
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")
FORBIDDEN_ELEMENTS = frozenset(
    {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math", "portal", "fencedframe"}
)
# The htmx attributes the templates themselves use (base.html, the workspace); content may add none.
OWN_HTMX_ATTRIBUTES = frozenset({"hx-post", "hx-swap", "hx-target", "hx-trigger", "data-hx-headers"})
OWN_LINK_RELS = frozenset({"icon", "stylesheet", "canonical"})


def _template_texts() -> list[str]:
    return [p.read_text() for d in TEMPLATE_DIRS for p in sorted(d.rglob("*.html"))]


def _squash(text: str) -> str:
    return " ".join(text.split())


# The templates' forms without an action (they post to the page itself), known by their id or class.
OWN_ACTIONLESS_FORMS = frozenset(
    m.group(2)
    for t in _template_texts()
    for tag in re.findall(r"<form\b[^>]*>", t)
    if "action=" not in tag
    for m in re.finditer(r'\b(id|class)="([^"{]*)"', tag)
)
# What the templates write literally: their style attributes and the text of their <style> elements.
OWN_STYLE_ATTRIBUTES = frozenset(m for t in _template_texts() for m in re.findall(r'\sstyle="([^"{]*)"', t))
OWN_STYLE_ELEMENTS = frozenset(
    _squash(m) for t in _template_texts() for m in re.findall(r"<style>(.*?)</style>", t, re.S)
)


def normalise_url(value: str) -> str:
    """A URL as a browser's URL parser reads its scheme (WHATWG URL standard): C0 controls and spaces stripped
    from both ends, tabs and newlines removed anywhere; stricter, every other control character removed anywhere
    too. Case-folded. Entities were already decoded by the HTML parser. Anything else stays: a no-break space,
    a space or a format character (U+00AD, U+200B, U+202E, U+FEFF) before or inside `javascript:` makes a
    relative URL (`jav%20ascript:...`), not a script."""
    value = value.strip("".join(map(chr, range(0x21))))
    return "".join(c for c in value if unicodedata.category(c) != "Cc").casefold()


def unsafe_url(value: str) -> bool:
    return normalise_url(value or "").startswith(UNSAFE_SCHEMES)


@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str]]
    text: str = ""

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value
        return default


@dataclass
class ParsedPage:
    elements: list[Element] = field(default_factory=list)
    scripts: list[Element] = field(default_factory=list)
    styles: list[Element] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The page's text, entities decoded, script text included, tags removed without a trace (a diff marks
        changed characters inside a word)."""
        return "".join(self.text_parts)

    @property
    def attribute_text(self) -> str:
        return "\n".join(value for element in self.elements for _, value in element.attrs)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._raw: Element | None = None  # the open <script> or <style>
        self._raw_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, [(name, value or "") for name, value in attrs])
        self.page.elements.append(element)
        if tag in ("script", "style"):
            self._raw, self._raw_text = element, []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self._raw is not None and tag == self._raw.tag:
            self._raw.text = "".join(self._raw_text)
            (self.page.scripts if tag == "script" else self.page.styles).append(self._raw)
            self._raw = None

    def handle_data(self, data):
        self.page.text_parts.append(data)
        if self._raw is not None:
            self._raw_text.append(data)


def parse(html: str) -> ParsedPage:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    if parser._raw is not None:  # an unclosed <script>/<style>: keep what it swallowed
        parser._raw.text = "".join(parser._raw_text)
        (parser.page.scripts if parser._raw.tag == "script" else parser.page.styles).append(parser._raw)
    return parser.page


def _own_route(url: str) -> str | None:
    """The URL name of a relative path in this project, or None (absolute, scheme-relative, unknown)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or url.startswith("//"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.url_name or match.view_name


def problems(html: str, *, allowed_forms=None, page: ParsedPage | None = None) -> list[str]:
    """Every way `html` could run script, as sentences (empty: inert).

    `allowed_forms`: the URL names the page's own forms may post to (None: any route of this project).
    A form without an action posts to the page itself: only the templates' own such forms (by id or class) pass.
    `page`: `html` already parsed.
    """
    found: list[str] = []
    page = page or parse(html)
    own_scripts = 0
    for script in page.scripts:
        src = script.get("src")
        kind = (script.get("type") or "").strip().lower()
        if src is not None:
            if not (src.startswith("/static/") and not unsafe_url(src)) or script.text.strip():
                found.append(f"a script that is not the page's own: {script.attrs} {script.text[:80]!r}")
            else:
                own_scripts += 1
            continue
        if kind == "application/ld+json" and script.attrs == [("type", "application/ld+json")]:
            lowered = script.text.lower()
            if "</script" in lowered or "<!--" in lowered or "<script" in lowered:
                found.append(f"JSON-LD that could end its element: {script.text[:120]!r}")
            try:
                json.loads(script.text)
            except ValueError:
                found.append(f"JSON-LD that is not JSON (broken out of?): {script.text[:120]!r}")
            own_scripts += 1
            continue
        found.append(f"a <script> element from content: {script.attrs} {script.text[:80]!r}")
    # The raw markup may not hold more <script tags than the parser saw as the page's own (a second
    # opinion, in case html.parser and a browser split a tag differently).
    raw_scripts = len(re.findall(r"<script[\s/>]", html, re.I))
    if raw_scripts > own_scripts:
        found.append(f"{raw_scripts} '<script' in the markup, {own_scripts} the page's own")
    raw_forbidden = re.findall(r"<(iframe|frame|frameset|object|embed|applet|base|svg|math)[\s/>]", html, re.I)
    if raw_forbidden:
        found.append(f"forbidden elements in the markup: {sorted(set(raw_forbidden))}")

    for style in page.styles:
        if _squash(style.text) not in OWN_STYLE_ELEMENTS or style.attrs:
            found.append(f"a <style> element from content: {style.text[:80]!r}")

    for element in page.elements:
        tag = element.tag
        if tag in FORBIDDEN_ELEMENTS:
            found.append(f"a forbidden <{tag}> element: {element.attrs}")
        if tag == "meta" and element.get("http-equiv") is not None:
            found.append(f"<meta http-equiv> from content: {element.attrs}")
        if tag == "link":
            rel = (element.get("rel") or "").strip().lower()
            href = element.get("href") or ""
            own = rel in OWN_LINK_RELS and (
                href.startswith("/static/") or (rel == "canonical" and href.startswith("http"))
            )
            if not own:
                found.append(f"a <link> from content: {element.attrs}")
        if tag == "form":
            action = element.get("action")
            if action:
                route = _own_route(action)
                if route is None or (allowed_forms is not None and route not in allowed_forms):
                    found.append(f"a form that is not the page's own: action={action!r}")
            elif not ({element.get("id"), element.get("class")} & OWN_ACTIONLESS_FORMS):
                found.append(f"a form without an action that is not the page's own: {element.attrs}")
        for name, value in element.attrs:
            lowered = name.lower()
            if lowered.startswith("on"):
                found.append(f"an event handler: <{tag} {name}={value[:80]!r}>")
            if lowered in URL_ATTRIBUTES and unsafe_url(value):
                found.append(f"an unsafe URL: <{tag} {name}={value[:80]!r}>")
            if lowered == "formaction" and value and _own_route(value) is None:
                found.append(f"a formaction that is not the page's own: {value[:80]!r}")
            if lowered == "srcdoc":
                found.append(f"an srcdoc: <{tag} srcdoc={value[:80]!r}>")
            if lowered == "style" and value not in OWN_STYLE_ATTRIBUTES:
                found.append(f"a style attribute from content: <{tag} style={value[:80]!r}>")
            if (lowered.startswith(("hx-", "data-hx-")) and lowered not in OWN_HTMX_ATTRIBUTES) or (
                lowered in OWN_HTMX_ATTRIBUTES and lowered != "data-hx-headers" and unsafe_url(value)
            ):
                found.append(f"an htmx attribute from content: <{tag} {name}={value[:80]!r}>")
            if lowered in ("x-data", "x-init", "ng-app", "ng-focus", "v-html") or lowered.startswith(("x-on:", "@")):
                found.append(f"a client-side template attribute: <{tag} {name}={value[:80]!r}>")
    return found


def assert_inert(html: str, *, allowed_forms=None, where: str = "", page: ParsedPage | None = None) -> None:
    found = problems(html, allowed_forms=allowed_forms, page=page)
    assert not found, f"{where}: not inert:\n  " + "\n  ".join(found[:20])


def sentinels(html: str, page: ParsedPage | None = None) -> set[str]:
    """The sentinels (see xss_corpus.sentinel) present anywhere in the page, as text or in attribute values."""
    from .xss_corpus import SENTINEL

    page = page or parse(html)
    return {m.group(0) for text in (page.text, page.attribute_text) for m in SENTINEL.finditer(text)}
