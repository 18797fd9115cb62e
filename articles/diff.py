"""Differences between two revisions: a change list and a side-by-side HTML table (content escaped)."""

from __future__ import annotations

import difflib

from .models import Revision


def _lines(revision: Revision) -> list[str]:
    return revision.body.splitlines()


def _reference_lines(revision: Revision) -> list[str]:
    return [f"[{r.number}] ({r.kind}) {r.citation}" + (f" {r.url}" if r.url else "") for r in revision.references.all()]


def _changes(field: str, old: list[str], new: list[str]) -> list[dict]:
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        changes.append(
            {
                "field": field,
                "op": op,  # replace, delete or insert
                "from_lines": [i1 + 1, i2],
                "to_lines": [j1 + 1, j2],
                "old": "\n".join(old[i1:i2]),
                "new": "\n".join(new[j1:j2]),
            }
        )
    return changes


def diff_revisions(a: Revision, b: Revision) -> dict:
    """The changes from revision `a` to revision `b` in title, body and references."""
    changes = _changes("title", [a.title], [b.title]) + _changes("body", _lines(a), _lines(b))
    changes += _changes("references", _reference_lines(a), _reference_lines(b))
    # HtmlDiff escapes &, < and > in the content it shows.
    table = difflib.HtmlDiff(wrapcolumn=80).make_table(
        [a.title, "", *_lines(a), "", *_reference_lines(a)],
        [b.title, "", *_lines(b), "", *_reference_lines(b)],
        fromdesc=f"Revision {a.number}",
        todesc=f"Revision {b.number}",
        context=True,
        numlines=2,
    )
    return {"from": a.number, "to": b.number, "changes": changes, "html": table}
