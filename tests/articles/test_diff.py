"""articles/diff.py: change list and escaped, folded, paged HTML table between two revisions."""

import math
import re
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.diff import diff_revisions, line_opcodes
from editorial.services.articles import edit_article
from tests.factories import BODY, REFERENCES, make_article

pytestmark = pytest.mark.django_db


def test_diff_lists_changes_per_field(author):
    article = make_article(author)
    refs = [REFERENCES[0], {**REFERENCES[1], "citation": "Another trial"}]
    article = edit_article(article, actor=author, title="New title", body=BODY + "\n\nAdded line [1].", references=refs)
    a, b = article.revisions.get(number=1), article.revisions.get(number=2)
    diff = diff_revisions(a, b)
    assert diff["from"] == 1 and diff["to"] == 2
    by_field = {c["field"]: c for c in diff["changes"]}
    assert set(by_field) == {"title", "body", "references"}
    assert by_field["title"]["old"] == "Do statins prevent heart attacks?" and by_field["title"]["new"] == "New title"
    assert by_field["body"]["op"] == "insert" and by_field["body"]["new"] == "\nAdded line [1]."
    assert by_field["references"]["op"] == "replace" and "Another trial" in by_field["references"]["new"]
    assert "<table" in diff["html"] and "Revision 1" in diff["html"] and "Revision 2" in diff["html"]


def test_identical_revisions_have_no_changes(author):
    article = make_article(author)
    article = edit_article(article, actor=author, title="Do statins prevent heart attacks?")
    diff = diff_revisions(article.revisions.get(number=1), article.revisions.get(number=2))
    assert diff["changes"] == []


def test_diff_html_escapes_content(author):
    article = make_article(author)
    article = edit_article(article, actor=author, body=BODY + '\n\n<script>alert("x")</script> & <b>bold</b>')
    diff = diff_revisions(article.revisions.get(number=1), article.revisions.get(number=2))
    assert "<script" not in diff["html"] and "<b>" not in diff["html"]
    assert "&lt;script&gt;" in diff["html"] and "&amp;" in diff["html"]


# --- stand-in revisions: number, title, body, references.all() and, when given, plain_language_summary ----------


def revision(number: int, body: str = "", *, title: str = "Title", summary: str | None = None, references=()):
    fields = {
        "number": number,
        "title": title,
        "body": body,
        "references": SimpleNamespace(all=lambda: list(references)),
    }
    if summary is not None:
        fields["plain_language_summary"] = summary
    return SimpleNamespace(**fields)


def ref(number: int, citation: str, kind: str = "research", url: str = "") -> SimpleNamespace:
    return SimpleNamespace(number=number, kind=kind, citation=citation, url=url)


def numbered(count: int) -> list[str]:
    return [f"Line {n}" for n in range(1, count + 1)]


def apply_changes(old: list[str], changes: list[dict], field: str = "body") -> list[str]:
    """Rebuild the new lines from the old ones and the change list alone."""
    out, at = [], 0
    for change in (c for c in changes if c["field"] == field):
        start, end = change["from_lines"]
        out += old[at : start - 1]
        if change["op"] != "delete":
            out += change["new"].split("\n")
        at = end
    return out + old[at:]


def changed_cells(html: str) -> list[tuple[int, str]]:
    """(old line number, old cell) of every changed pair in the table."""
    return [(int(n), cell) for n, cell in re.findall(r'<tr><td class="num">(\d+)</td><td class="chg">(.*?)</td>', html)]


def test_result_has_the_paging_keys():
    diff = diff_revisions(revision(1, "a\nb"), revision(2, "a\nc"))
    assert set(diff) == {"from", "to", "changes", "html", "page", "pages", "rows"}
    assert (diff["page"], diff["pages"]) == (1, 1)
    assert diff["rows"] == 5  # Title heading and line, Body heading, one unchanged line, one changed pair
    assert diff["html"].startswith('<table class="diff">')


def test_long_unchanged_runs_are_folded():
    old = numbered(100)
    new = [*old[:49], "Line fifty", *old[50:]]
    diff = diff_revisions(revision(1, "\n".join(old)), revision(2, "\n".join(new)))
    assert diff["changes"] == [
        {
            "field": "body",
            "op": "replace",
            "from_lines": [50, 50],
            "to_lines": [50, 50],
            "old": "Line 50",
            "new": "Line fifty",
        }
    ]
    html = diff["html"]
    assert html.count('<tr class="fold">') == 2
    assert '<tr class="fold"><td colspan="4">… 47 unchanged lines …</td></tr>' in html
    assert "… 48 unchanged lines …" in html
    for n in (48, 49, 51, 52):  # two lines of context on each side of the change
        assert f"<td>Line {n}</td>" in html
    assert "<td>Line 47</td>" not in html and "<td>Line 53</td>" not in html and "<td>Line 1</td>" not in html
    assert html.count("Line ") < 20
    assert diff["rows"] == 10  # 2 title rows, Body heading, fold, 2 context, the pair, 2 context, fold


def test_identical_bodies_fold_to_one_row_and_short_runs_do_not_fold():
    body = "\n".join(numbered(100))
    diff = diff_revisions(revision(1, body), revision(2, body))
    assert diff["changes"] == []
    assert diff["html"].count('<tr class="fold">') == 1 and "… 100 unchanged lines …" in diff["html"]
    short = diff_revisions(revision(1, "a\nb\nc\nd"), revision(2, "a\nb\nc\nd"))
    assert 'class="fold"' not in short["html"] and "<td>d</td>" in short["html"]


def test_paging_splits_the_rows_and_keeps_every_change():
    old = numbered(300)
    new = [line + " (edited)" if n % 3 == 0 else line for n, line in enumerate(old)]
    a, b = revision(1, "\n".join(old)), revision(2, "\n".join(new))
    whole = diff_revisions(a, b)
    assert whole["pages"] == 1 and len(whole["changes"]) == 100
    first = diff_revisions(a, b, page=1, rows_per_page=50)
    second = diff_revisions(a, b, page=2, rows_per_page=50)
    assert first["rows"] == second["rows"] == whole["rows"] > 50
    assert first["pages"] == second["pages"] == math.ceil(whole["rows"] / 50) > 1
    assert (first["page"], second["page"]) == (1, 2)
    assert first["html"] != second["html"]
    assert first["changes"] == second["changes"] == whole["changes"]  # the data is never paged
    for result in (first, second):
        assert '<th colspan="2" scope="colgroup">Revision 1</th>' in result["html"]
    assert second["html"].count("<tr") <= 50 + 2  # the header row and the repeated field heading
    assert '<tr class="field"><th colspan="4">Body</th></tr>' in second["html"]  # named again on each page
    pages = [diff_revisions(a, b, page=p, rows_per_page=50)["html"] for p in range(1, first["pages"] + 1)]
    shown = [n for html in pages for n, _ in changed_cells(html)]
    assert sorted(shown) == [n + 1 for n in range(0, 300, 3)]  # each changed pair on exactly one page
    beyond = diff_revisions(a, b, page=999, rows_per_page=50)
    assert beyond["page"] == first["pages"] and beyond["html"] == pages[-1]
    assert diff_revisions(a, b, page=0, rows_per_page=50)["html"] == first["html"]
    with pytest.raises(ValueError):
        diff_revisions(a, b, rows_per_page=0)


def test_changed_characters_are_marked_inside_a_changed_pair():
    old = ["Statins lower LDL cholesterol [1].", "A trial found fewer events [2].", " ".join(numbered(20))]
    new = [
        "Statins lower LDL cholesterol a lot [1].",
        "A trial found fewer strokes [2].",
        " ".join(numbered(20)).replace("Line 3 ", "Line three ").replace("Line 18 ", "Line eighteen "),
    ]
    html = diff_revisions(revision(1, "\n".join(old)), revision(2, "\n".join(new)))["html"]
    cells = [cell for _, cell in changed_cells(html)]
    assert "Statins lower LDL cholesterol <ins>a lot </ins>[1].</td>" in html
    assert '<td class="chg">Statins lower LDL cholesterol [1].</td>' in html  # nothing removed on the left
    assert "A trial found fewer <del>event</del>s [2].</td>" in html
    assert "A trial found fewer <ins>stroke</ins>s [2].</td>" in html
    # Two edits far apart: two marks, the unchanged words between them left unmarked.
    long_left = cells[2]
    assert long_left.count("<del>") == 2 and "Line 10 Line 11" in long_left.split("</del>")[1].split("<del>")[0]


def test_character_marks_are_escaped():
    old = 'Dose <b>10 mg</b> & "daily"\nTake it daily'
    new = 'Dose <b>20 mg</b> & "daily"\nTake it <script>alert(1)</script> daily'
    html = diff_revisions(revision(1, old), revision(2, new))["html"]
    assert "Dose &lt;b&gt;<del>1</del>0 mg&lt;/b&gt; &amp; &quot;daily&quot;" in html
    assert "Dose &lt;b&gt;<ins>2</ins>0 mg&lt;/b&gt; &amp; &quot;daily&quot;" in html
    assert "Take it <ins>&lt;script&gt;alert(1)&lt;/script&gt; </ins>daily" in html
    assert "<script" not in html and "<b>" not in html


def test_very_long_lines_are_marked_by_their_common_prefix_and_suffix_only():
    old, new = "x" * 2500 + "ABC" + "y" * 10, "x" * 2500 + "ABD" + "y" * 10
    html = diff_revisions(revision(1, old), revision(2, new))["html"]
    assert "x" * 2500 + "AB<del>C</del>" + "y" * 10 in html and "<ins>D</ins>" in html


def test_the_plain_language_summary_is_compared_when_the_revision_has_one():
    a = revision(1, "Body", summary="Statins lower cholesterol.\nAsk your doctor.")
    b = revision(2, "Body", summary="Statins lower cholesterol.\nAsk your GP.\nThey help.")
    diff = diff_revisions(a, b)
    assert diff["changes"] == [
        {
            "field": "summary",
            "op": "replace",
            "from_lines": [2, 2],
            "to_lines": [2, 3],
            "old": "Ask your doctor.",
            "new": "Ask your GP.\nThey help.",
        }
    ]
    assert '<tr class="field"><th colspan="4">Plain-language summary</th></tr>' in diff["html"]
    # Without the attribute (a Revision today) there is no summary to compare.
    plain = diff_revisions(revision(1, "Body"), revision(2, "Body"))
    assert plain["changes"] == [] and "Plain-language summary" not in plain["html"]
    assert diff_revisions(revision(1, "Body"), b)["changes"][0]["op"] == "insert"


def test_a_large_input_with_half_the_lines_rewritten_has_the_right_changes():
    old = [f"Paragraph {n}: statins lower LDL cholesterol in adults [1]." for n in range(2000)]
    scattered = [line.replace("statins", "fibrates") if n % 2 == 0 else line for n, line in enumerate(old)]
    diff = diff_revisions(revision(1, "\n".join(old)), revision(2, "\n".join(scattered)))
    assert len(diff["changes"]) == 1000
    assert all(c["op"] == "replace" and c["from_lines"] == c["to_lines"] for c in diff["changes"])
    assert [c["from_lines"][0] for c in diff["changes"]] == list(range(1, 2000, 2))
    assert apply_changes(old, diff["changes"]) == scattered
    assert diff["pages"] == math.ceil(diff["rows"] / 500) > 1

    block = old[:500] + [f"New paragraph {n}." for n in range(1000)] + old[1500:]
    diff = diff_revisions(revision(1, "\n".join(old)), revision(2, "\n".join(block)))
    assert [(c["op"], c["from_lines"], c["to_lines"]) for c in diff["changes"]] == [
        ("replace", [501, 1500], [501, 1500])
    ]

    moved = old[1000:] + old[:1000]  # half the lines taken out and put back at the end
    diff = diff_revisions(revision(1, "\n".join(old)), revision(2, "\n".join(moved)))
    assert sum(c["to_lines"][1] - c["to_lines"][0] + 1 for c in diff["changes"]) == 1000
    assert apply_changes(old, diff["changes"]) == moved


def test_a_newline_inside_a_reference_stays_one_line():
    same = diff_revisions(
        revision(1, references=[ref(1, "Trial\nof statins")]), revision(2, references=[ref(1, "Trial\nof statins")])
    )
    assert same["changes"] == []
    # A literal backslash-n is not the same line as a newline.
    changed = diff_revisions(
        revision(1, references=[ref(1, "Trial\nof statins")]), revision(2, references=[ref(1, "Trial\\nof statins")])
    )
    assert [(c["field"], c["op"], c["from_lines"]) for c in changed["changes"]] == [("references", "replace", [1, 1])]


LINES = st.lists(st.sampled_from(["", "a", "b", "c", "d", "a\nb", "a\\nb", "# heading"]), max_size=40)


def check_opcodes(old: list[str], new: list[str], opcodes) -> None:
    if not opcodes:
        assert old == new == []
        return
    # Contiguous, from the start of both sides to their ends.
    assert [op[1] for op in opcodes] == [0, *(op[2] for op in opcodes[:-1])]
    assert [op[3] for op in opcodes] == [0, *(op[4] for op in opcodes[:-1])]
    assert (opcodes[-1][2], opcodes[-1][4]) == (len(old), len(new))
    rebuilt = []
    for (op, i1, i2, j1, j2), following in zip(opcodes, [*opcodes[1:], None], strict=True):
        if op == "equal":
            assert old[i1:i2] == new[j1:j2] and i2 - i1 > 0
        else:
            assert op == ("replace" if i2 > i1 and j2 > j1 else "delete" if i2 > i1 else "insert")
            assert following is None or following[0] == "equal"  # changes next to each other are one change
        rebuilt += new[j1:j2]
    assert rebuilt == new


@settings(max_examples=300, deadline=None, database=None)
@given(old=LINES, new=LINES)
def test_line_opcodes_turn_old_into_new(old, new):
    check_opcodes(old, new, line_opcodes(old, new))


@settings(max_examples=100, deadline=None, database=None)
@given(old=LINES, new=LINES)
def test_line_opcodes_past_the_deadline_are_coarser_but_still_right(old, new):
    check_opcodes(old, new, line_opcodes(old, new, deadline=0))
