"""Differences between two revisions: a change list and a side-by-side HTML table, folded, paged and escaped."""

from __future__ import annotations

import bisect
import math
import time
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, NamedTuple

from diff_match_patch import diff_match_patch
from django.utils.html import escape

from .models import Revision

CONTEXT = 2  # unchanged lines shown next to a change; longer unchanged runs fold into one row
ROWS_PER_PAGE = 500
MARK_MAX_CHARS = 2_000  # a pair with a line this long is marked by its common prefix and suffix only
# Worst case for the line diff of one pair of revisions (all fields). Past it diff-match-patch stops refining
# and reports what is left as one replace: still a correct change list, only a coarser one. Bodies of 200,000
# characters with half the lines rewritten take under 20 ms (bench/diff.py); it takes pathological input, such as
# 2,000 lines drawn from four distinct ones (about 450 ms unbounded), to reach it.
LINE_DIFF_SECONDS = 0.25
MARK_SECONDS = 0.05  # budget for the character marks of one page; later pairs get prefix/suffix marks
SHORT_PAIR = 80  # a changed stretch this short (both sides together) is always worth a character diff

FIELD_LABELS = {"title": "Title", "summary": "Plain-language summary", "body": "Body", "references": "References"}

_dmp = diff_match_patch()
# Every call passes its own deadline; a non-zero timeout also turns on diff-match-patch's half-match shortcut.
_dmp.Diff_Timeout = LINE_DIFF_SECONDS

Opcode = tuple[str, int, int, int, int]  # like difflib's: op, old start, old end, new start, new end (0-based)


class FieldDiff(NamedTuple):
    field: str
    old: list[str]
    new: list[str]
    opcodes: list[Opcode]


class _Row(NamedTuple):
    kind: str  # field, equal, replace, delete, insert or fold
    old_no: int  # 1-based, 0 for none; for a fold, the number of lines folded
    old: str  # for a field row, its label
    new_no: int
    new: str


def _lines(revision: Revision) -> list[str]:
    return revision.body.splitlines()


def _summary_lines(revision: Revision) -> list[str]:
    # The summary lives on Article today and moves onto Revision later; both work.
    return (getattr(revision, "plain_language_summary", "") or "").splitlines()


def _reference_lines(revision: Revision) -> list[str]:
    return [f"[{r.number}] ({r.kind}) {r.citation}" + (f" {r.url}" if r.url else "") for r in revision.references.all()]


# --- line diff ---------------------------------------------------------------------------------------------------


def _anchors(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs (i, j) of lines found exactly once on each side, the longest run of them in the same order."""
    count_old, count_new = Counter(old), Counter(new)
    where_new = {line: j for j, line in enumerate(new) if count_new[line] == 1}
    pairs = [(i, where_new[line]) for i, line in enumerate(old) if count_old[line] == 1 and line in where_new]
    # Longest increasing subsequence of j by patience sorting: O(n log n).
    tail_pair: list[int] = []  # tail_pair[k]: the pair ending the best run of length k + 1 so far
    tail_j: list[int] = []
    before = [-1] * len(pairs)
    for p, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tail_j, j)
        before[p] = tail_pair[k - 1] if k else -1
        if k == len(tail_j):
            tail_pair.append(p)
            tail_j.append(j)
        else:
            tail_pair[k], tail_j[k] = p, j
    run = []
    p = tail_pair[-1] if tail_pair else -1
    while p >= 0:
        run.append(pairs[p])
        p = before[p]
    return run[::-1]


def _as_text(lines: Sequence[str], escape_newlines: bool) -> str:
    if escape_newlines:  # a citation may hold a newline; keep it one line, and the mapping one-to-one
        lines = [line.replace("\\", "\\\\").replace("\n", "\\n") for line in lines]
    return "".join(line + "\n" for line in lines)


def _dmp_spans(old: Sequence[str], new: Sequence[str], deadline: float) -> list[tuple[bool, int, int]]:
    """diff-match-patch in line mode: (equal?, old lines, new lines) spans."""
    # A line found on one side only can never match, so it stays out of the O(ND) search (as GNU diff leaves out
    # its "confusing lines"): a rewritten block with blank lines between paragraphs shrinks to its blank lines.
    in_old, in_new = set(old), set(new)
    kept_old = [i for i, line in enumerate(old) if line in in_new]
    kept_new = [j for j, line in enumerate(new) if line in in_old]
    if not kept_old or not kept_new:
        return [(False, len(old), len(new))]
    escape_newlines = any("\n" in line for line in old) or any("\n" in line for line in new)
    chars_old, chars_new, _ = _dmp.diff_linesToChars(
        _as_text([old[i] for i in kept_old], escape_newlines), _as_text([new[j] for j in kept_new], escape_newlines)
    )
    diffs = _dmp.diff_main(chars_old, chars_new, False, deadline)
    # Each character stands for one kept line, so lengths are line counts and the lines themselves stay in the
    # lists: diff_charsToLines would only rebuild text to split again. Matched lines become equal spans and
    # everything between two matches is a change.
    spans: list[tuple[bool, int, int]] = []
    i = j = p = q = 0
    for op, text in diffs:
        if op < 0:
            p += len(text)
        elif op > 0:
            q += len(text)
        else:
            for oi, nj in zip(kept_old[p : p + len(text)], kept_new[q : q + len(text)], strict=True):
                if oi > i or nj > j:
                    spans.append((False, oi - i, nj - j))
                spans.append((True, 1, 1))
                i, j = oi + 1, nj + 1
            p, q = p + len(text), q + len(text)
    if i < len(old) or j < len(new):
        spans.append((False, len(old) - i, len(new) - j))
    return spans


def _gap_spans(
    old: Sequence[str], new: Sequence[str], i1: int, i2: int, j1: int, j2: int, deadline: float
) -> list[tuple[bool, int, int]]:
    """Spans for old[i1:i2] against new[j1:j2]; most gaps between anchors are a line or two, done here."""
    head = 0
    while i1 + head < i2 and j1 + head < j2 and old[i1 + head] == new[j1 + head]:
        head += 1
    tail = 0
    while i1 + head < i2 - tail and j1 + head < j2 - tail and old[i2 - tail - 1] == new[j2 - tail - 1]:
        tail += 1
    n, m = i2 - i1 - head - tail, j2 - j1 - head - tail
    spans = [(True, head, head)] if head else []
    if n and m and (n > 1 or m > 1):
        spans += _dmp_spans(old[i1 + head : i2 - tail], new[j1 + head : j2 - tail], deadline)
    elif n or m:
        spans.append((False, n, m))
    if tail:
        spans.append((True, tail, tail))
    return spans


def line_opcodes(old: Sequence[str], new: Sequence[str], deadline: float | None = None) -> list[Opcode]:
    """difflib-style opcodes (equal, replace, delete, insert) turning the lines `old` into `new`.

    Lines found once on each side anchor the diff (as in patience diff) and the gaps between anchors go to
    diff-match-patch in line mode, so the cost follows the size of the change, not its square. `deadline`
    (time.time()) bounds the worst case; the default is LINE_DIFF_SECONDS from now.
    """
    if deadline is None:
        deadline = time.time() + LINE_DIFF_SECONDS
    spans: list[tuple[bool, int, int]] = []
    i = j = 0
    for ai, aj in _anchors(old, new):
        spans += _gap_spans(old, new, i, ai, j, aj, deadline)
        spans.append((True, 1, 1))
        i, j = ai + 1, aj + 1
    spans += _gap_spans(old, new, i, len(old), j, len(new), deadline)

    opcodes: list[Opcode] = []
    i = j = removed = added = 0

    def flush() -> None:
        nonlocal i, j, removed, added
        if removed or added:
            op = "replace" if removed and added else "delete" if removed else "insert"
            opcodes.append((op, i, i + removed, j, j + added))
            i, j, removed, added = i + removed, j + added, 0, 0

    for equal, n, m in spans:
        if not equal:
            removed, added = removed + n, added + m
        elif n:
            flush()
            if opcodes and opcodes[-1][0] == "equal":
                opcodes[-1] = ("equal", opcodes[-1][1], i + n, opcodes[-1][3], j + n)
            else:
                opcodes.append(("equal", i, i + n, j, j + n))
            i, j = i + n, j + n
    flush()
    return opcodes


# --- change list -------------------------------------------------------------------------------------------------


def diff_fields(a: Revision, b: Revision) -> list[FieldDiff]:
    """The line diff of each field from revision `a` to revision `b`: title, summary, body, references."""
    fields = [
        ("title", [a.title], [b.title]),
        ("summary", _summary_lines(a), _summary_lines(b)),
        ("body", _lines(a), _lines(b)),
        ("references", _reference_lines(a), _reference_lines(b)),
    ]
    deadline = time.time() + LINE_DIFF_SECONDS  # one budget for all fields
    return [FieldDiff(name, old, new, line_opcodes(old, new, deadline)) for name, old, new in fields]


def change_list(diffs: Sequence[FieldDiff]) -> list[dict[str, Any]]:
    """Every change, field by field: op (replace, delete, insert), 1-based line ranges, old and new text."""
    return [
        {
            "field": d.field,
            "op": op,
            "from_lines": [i1 + 1, i2],
            "to_lines": [j1 + 1, j2],
            "old": "\n".join(d.old[i1:i2]),
            "new": "\n".join(d.new[j1:j2]),
        }
        for d in diffs
        for op, i1, i2, j1, j2 in d.opcodes
        if op != "equal"
    ]


# --- HTML --------------------------------------------------------------------------------------------------------


def _field_rows(d: FieldDiff) -> list[_Row]:
    rows = [_Row("field", 0, FIELD_LABELS[d.field], 0, "")]
    last = len(d.opcodes) - 1
    for k, (op, i1, i2, j1, j2) in enumerate(d.opcodes):
        if op == "equal":
            length = head = i2 - i1
            tail = 0
            if length > 2 * CONTEXT:
                # Keep context only on the sides that touch a change.
                head, tail = (0 if k == 0 else CONTEXT), (0 if k == last else CONTEXT)
            rows += [_Row("equal", i + 1, d.old[i], j1 - i1 + i + 1, d.new[j1 - i1 + i]) for i in range(i1, i1 + head)]
            if head + tail < length:
                rows.append(_Row("fold", length - head - tail, "", 0, ""))
            rows += [_Row("equal", i + 1, d.old[i], j1 - i1 + i + 1, d.new[j1 - i1 + i]) for i in range(i2 - tail, i2)]
            continue
        for n in range(max(i2 - i1, j2 - j1)):
            has_old, has_new = i1 + n < i2, j1 + n < j2
            kind = "replace" if has_old and has_new else "delete" if has_old else "insert"
            rows.append(
                _Row(
                    kind,
                    i1 + n + 1 if has_old else 0,
                    d.old[i1 + n] if has_old else "",
                    j1 + n + 1 if has_new else 0,
                    d.new[j1 + n] if has_new else "",
                )
            )
    return rows


def _worth_a_char_diff(old: str, new: str) -> bool:
    """Whether a character diff of this changed stretch would be cheap and readable.

    A rewritten sentence shares few word pairs with the one it replaces; diffing it character by character costs
    the most (quadratic in its length) and marks confetti, so it is marked as one deletion and one insertion.
    """
    if not old or not new or len(old) + len(new) <= SHORT_PAIR:
        return True
    pairs_old, pairs_new = Counter(pairwise(old.split())), Counter(pairwise(new.split()))
    shared = sum((pairs_old & pairs_new).values())
    return 2 * shared >= max(sum(pairs_old.values()), sum(pairs_new.values()), 1)


def _marked(old: str, new: str, deadline: float) -> tuple[str, str]:
    """The two lines of a changed pair, escaped, with the changed characters in <del> and <ins>."""
    start = _dmp.diff_commonPrefix(old, new)
    end = _dmp.diff_commonSuffix(old[start:], new[start:])
    middle_old, middle_new = old[start : len(old) - end], new[start : len(new) - end]
    diffs = [(-1, middle_old), (1, middle_new)]
    if (
        len(old) < MARK_MAX_CHARS
        and len(new) < MARK_MAX_CHARS
        and middle_old
        and middle_new
        and _worth_a_char_diff(middle_old, middle_new)
        and time.time() < deadline
    ):
        diffs = _dmp.diff_main(middle_old, middle_new, False, deadline)
        _dmp.diff_cleanupSemantic(diffs)  # whole words rather than scattered letters
    left, right = [escape(old[:start])], [escape(new[:start])]
    for op, text in diffs:
        if not text:
            continue
        if op == 0:
            left.append(escape(text))
            right.append(escape(text))
        elif op < 0:
            left.append(f"<del>{escape(text)}</del>")
        else:
            right.append(f"<ins>{escape(text)}</ins>")
    left.append(escape(old[len(old) - end :]))
    right.append(escape(new[len(new) - end :]))
    return "".join(left), "".join(right)


def _row_html(row: _Row, deadline: float) -> str:
    kind = row.kind
    if kind == "field":
        return f'<tr class="field"><th colspan="4">{escape(row.old)}</th></tr>'
    if kind == "fold":
        lines = f"{row.old_no} unchanged line{'' if row.old_no == 1 else 's'}"
        return f'<tr class="fold"><td colspan="4">… {lines} …</td></tr>'
    if kind == "equal":
        text = escape(row.old)  # the same line on both sides
        return (
            f'<tr><td class="num">{row.old_no}</td><td>{text}</td><td class="num">{row.new_no}</td><td>{text}</td></tr>'
        )
    if kind == "replace":
        left, right = _marked(row.old, row.new, deadline)
        return (
            f'<tr><td class="num">{row.old_no}</td><td class="chg">{left}</td>'
            f'<td class="num">{row.new_no}</td><td class="chg">{right}</td></tr>'
        )
    if kind == "delete":
        return (
            f'<tr><td class="num">{row.old_no}</td><td class="del">{escape(row.old)}</td>'
            '<td class="num"></td><td class="empty"></td></tr>'
        )
    return (
        '<tr><td class="num"></td><td class="empty"></td>'
        f'<td class="num">{row.new_no}</td><td class="ins">{escape(row.new)}</td></tr>'
    )


def diff_table(
    diffs: Sequence[FieldDiff], a_number: int, b_number: int, *, page: int = 1, rows_per_page: int = ROWS_PER_PAGE
) -> dict[str, Any]:
    """One page of the side-by-side table: {"html", "page", "pages", "rows"}; a page past the last is the last."""
    if rows_per_page < 1:
        raise ValueError("rows_per_page must be at least 1")
    rows = [row for d in diffs if d.old or d.new for row in _field_rows(d)]
    pages = max(1, math.ceil(len(rows) / rows_per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * rows_per_page
    shown = rows[start : start + rows_per_page]
    if shown and shown[0].kind != "field":
        # A page that starts inside a field names the field again (not counted in rows).
        shown.insert(0, next(rows[k] for k in range(start, -1, -1) if rows[k].kind == "field"))
    deadline = time.time() + MARK_SECONDS
    html = "".join(
        [
            '<table class="diff"><thead><tr>',
            f'<th colspan="2" scope="colgroup">Revision {escape(a_number)}</th>',
            f'<th colspan="2" scope="colgroup">Revision {escape(b_number)}</th>',
            "</tr></thead><tbody>",
            *(_row_html(row, deadline) for row in shown),
            "</tbody></table>",
        ]
    )
    return {"html": html, "page": page, "pages": pages, "rows": len(rows)}


def diff_revisions(a: Revision, b: Revision, *, page: int = 1, rows_per_page: int = ROWS_PER_PAGE) -> dict[str, Any]:
    """The changes from revision `a` to revision `b` in title, summary, body and references.

    {"from", "to", "changes" (all of them), "html" (page `page` of the table), "page", "pages", "rows"}.
    """
    diffs = diff_fields(a, b)
    table = diff_table(diffs, a.number, b.number, page=page, rows_per_page=rows_per_page)
    return {"from": a.number, "to": b.number, "changes": change_list(diffs), **table}
