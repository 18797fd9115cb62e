"""articles/rendering.py: Markdown to sanitised HTML and plain text; citation markers; citation checks."""

import copy
import re
from xml.etree import ElementTree

import pytest

from articles.rendering import TEXT_BLOCK_TAGS, check_citations, html_to_text, render_body, sanitise_html, text_blocks
from tests.factories import BODY


def test_citation_markers_become_links_to_their_reference():
    rendered = render_body("Statins lower LDL [1] and events [12].")
    assert '<sup class="citation"><a class="citation" href="#ref-1"' in rendered.html
    assert 'href="#ref-12"' in rendered.html and ">[12]</a>" in rendered.html
    assert sorted(rendered.citations) == [1, 12]


def test_factory_body_renders_headings_citations_and_text():
    rendered = render_body(BODY)
    assert "<h2>From the Guidelines</h2>" in rendered.html
    assert sorted(rendered.citations) == [1, 2]
    assert rendered.text == (
        "From the Guidelines\n\nStatins lower LDL cholesterol [1].\n\n"
        "From the Research\n\nA trial found fewer events [2]."
    )


@pytest.mark.parametrize("source, expected", [("Statins [1][2].", [1, 2]), ("A [1][2][3] b", [1, 2, 3])])
def test_adjacent_markers_are_each_a_citation(source, expected):
    rendered = render_body(source)
    assert sorted(rendered.citations) == expected
    assert all(f'href="#ref-{n}"' in rendered.html for n in expected)
    assert rendered.text == source


def test_reference_style_link_with_a_number_is_not_a_citation():
    rendered = render_body("[1][nice]\n\n[nice]: https://www.nice.org.uk/")
    assert rendered.citations == [] and 'href="https://www.nice.org.uk/"' in rendered.html


def test_repeated_markers_are_all_found():
    assert render_body("A [1]. B [1]. C [2].").citations.count(1) == 2


@pytest.mark.parametrize(
    "source",
    ["[1](https://example.org/)", "`code [1]`", "    indented code [1]", "[see 1]", "[12345]", "[a1]"],
)
def test_things_that_are_not_citation_markers(source):
    rendered = render_body(source)
    assert rendered.citations == []
    assert "#ref-" not in rendered.html


def test_markdown_link_is_kept_and_marked_nofollow():
    html = render_body("[NICE](https://www.nice.org.uk/)").html
    assert 'href="https://www.nice.org.uk/"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_plain_text_output():
    rendered = render_body("# Title\n\nFirst *para* with **bold** [1].\n\n- one\n- two\n\nA &amp; B < C, café ☕")
    assert rendered.text == "Title\n\nFirst para with bold [1].\n\none\ntwo\n\nA & B < C, café ☕"
    assert "<" not in rendered.text.replace("B < C", "")
    assert "*" not in rendered.text


def test_plain_text_drops_removed_markup_and_keeps_escaped_text():
    rendered = render_body("Before <script>alert(1)</script> after [1].")
    assert "alert" not in rendered.text and "alert" not in rendered.html
    assert rendered.text == "Before  after [1]."


def test_text_positions_are_code_points():
    rendered = render_body("Café ☕ then 𝔘 [1].")
    assert rendered.text == "Café ☕ then 𝔘 [1]."
    assert rendered.text.index("[1]") == 14


def test_html_to_text_separates_blocks():
    assert html_to_text("<h2>A</h2>\n<p>b</p>\n<ul>\n<li>c</li>\n<li>d</li>\n</ul>") == "A\n\nb\n\nc\nd"
    assert html_to_text("<p>x &amp; y &lt;z&gt;</p>") == "x & y <z>"


def test_sanitise_html_keeps_allowed_and_drops_the_rest():
    html = sanitise_html(
        '<p class="x" style="color:red" onclick="a()">p <a href="javascript:x" class="citation">l</a></p>'
        '<script>bad()</script><table><tr><td align="left">c</td></tr></table>'
    )
    assert "<p>p " in html and 'class="citation"' in html
    assert "style" not in html and "onclick" not in html and "javascript" not in html and "bad()" not in html
    assert 'align="left"' in html


def test_render_empty_body():
    rendered = render_body("")
    assert rendered.html == "" and rendered.text == "" and rendered.citations == []


def test_check_citations_complete():
    report = check_citations([1, 2, 2], [1, 2])
    assert report.complete and report.missing == [] and report.uncited == []


def test_check_citations_missing_reference():
    report = check_citations([1, 3, 2], [1, 2])
    assert not report.complete
    assert report.missing == [3] and report.uncited == []
    assert "[3]" in report.sentence() and "no reference" in report.sentence()


def test_check_citations_uncited_reference():
    report = check_citations([2], [1, 2, 3])
    assert not report.complete
    assert report.missing == [] and report.uncited == [1, 3]
    assert "never cited" in report.sentence() and "1, 3" in report.sentence()


def test_check_citations_both_ways_sorted():
    report = check_citations([9, 4], [2, 1])
    assert report.missing == [4, 9] and report.uncited == [1, 2]
    assert report.sentence() == (
        "Citations do not match the references: no reference for [4], [9]; never cited: reference 1, 2."
    )


def test_check_citations_nothing_at_all_is_complete():
    assert check_citations([], []).complete


# Blocks: where each heading, paragraph, list item and table cell stands in the plain text.

BLOCK_BODIES = [
    BODY,
    "# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six\n\nText [1].",
    "Intro with *emphasis*, a [link](https://example.org/) and café ☕ 𝔘 [2].\n\n- first item\n- second [1][2]\n\n"
    "1. loose\n\n    second paragraph\n\n2. next",
    "| Drug | Dose |\n|---|---|\n| Amoxicillin | 500 mg |\n| | empty cell before |",
    "> A quotation\n> on two lines [1].\n\nAfter &amp; before &lt;tag&gt; &nbsp;with a no-break space&nbsp;\n\n"
    "    code block [1]\n      indented\n\nHard  \nbreak.",
    "- outer\n    - inner [3]\n- last\n\n***\n\nThe end.",
    "",
]


def _element_texts(html: str) -> list[tuple[str, str]]:
    """Each block element's own html_to_text, found independently of text_blocks by an XML parse."""
    xml = re.sub(r"<(br|hr)>", r"<\1/>", html).replace("&nbsp;", "&#160;")
    root = ElementTree.fromstring(f"<root>{xml}</root>")
    found = []
    for element in root.iter():
        if element.tag in TEXT_BLOCK_TAGS:
            element = copy.copy(element)
            element.tail = None
            text = html_to_text(ElementTree.tostring(element, encoding="unicode", method="html"))
            if text:
                found.append((element.tag, text))
    return found


@pytest.mark.parametrize("body", BLOCK_BODIES)
def test_each_block_span_is_that_elements_text(body):
    rendered = render_body(body)
    spans = [(tag, rendered.text[start:end]) for tag, start, end in rendered.blocks]
    assert spans == _element_texts(rendered.html)
    assert all(0 <= start < end <= len(rendered.text) for _, start, end in rendered.blocks)


def test_blocks_of_the_factory_body():
    rendered = render_body(BODY)
    assert [(tag, rendered.text[s:e]) for tag, s, e in rendered.blocks] == [
        ("h2", "From the Guidelines"),
        ("p", "Statins lower LDL cholesterol [1]."),
        ("h2", "From the Research"),
        ("p", "A trial found fewer events [2]."),
    ]


def test_headings_come_out_as_h1_to_h6():
    rendered = render_body(BLOCK_BODIES[1])
    assert [(tag, rendered.text[s:e]) for tag, s, e in rendered.blocks] == [
        ("h1", "One"),
        ("h2", "Two"),
        ("h3", "Three"),
        ("h4", "Four"),
        ("h5", "Five"),
        ("h6", "Six"),
        ("p", "Text [1]."),
    ]


def test_blocks_nest_and_cover_lists_tables_quotes_and_code():
    tables = render_body(BLOCK_BODIES[3])
    assert [(tag, tables.text[s:e]) for tag, s, e in tables.blocks] == [
        ("th", "Drug"),
        ("th", "Dose"),
        ("td", "Amoxicillin"),
        ("td", "500 mg"),
        ("td", "empty cell before"),  # the empty cell has no block
    ]
    nested = render_body(BLOCK_BODIES[5])
    assert [(tag, nested.text[s:e]) for tag, s, e in nested.blocks] == [
        ("li", "outer\n\ninner [3]"),
        ("li", "inner [3]"),
        ("li", "last"),
        ("p", "The end."),
    ]
    mixed = render_body(BLOCK_BODIES[4])
    assert [tag for tag, _, _ in mixed.blocks] == ["blockquote", "p", "p", "pre", "p"]
    assert mixed.text[mixed.blocks[3][1] : mixed.blocks[3][2]] == "code block [1]\nindented"


def test_block_offsets_count_code_points():
    rendered = render_body("Café ☕ then 𝔘.\n\nNext [1].")
    (_, s1, e1), (_, s2, e2) = rendered.blocks
    assert (s1, e1, s2, e2) == (0, 14, 16, 25)
    assert rendered.text[s2:e2] == "Next [1]."


def test_blocks_do_not_change_html_or_text():
    rendered = render_body(BODY)
    assert rendered.text == html_to_text(rendered.html)
    assert text_blocks(rendered.html) == rendered.blocks
    assert render_body("").blocks == []
