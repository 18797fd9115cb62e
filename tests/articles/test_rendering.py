"""articles/rendering.py: Markdown to sanitised HTML and plain text; citation markers; citation checks."""

import pytest

from articles.rendering import check_citations, html_to_text, render_body, sanitise_html
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
