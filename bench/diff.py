"""Benchmark: the revision diff of 10,000-, 50,000- and 200,000-character bodies with 50% or 10% of lines rewritten.

Run: .venv/bin/python bench/diff.py [--seed 7] [--repeat 3] [--sizes 10000,50000,200000] [--shares 0.5,0.1]
Two layouts: "paragraphs" (Markdown-like, blank lines between paragraphs, the rewritten lines scattered) and
"lines" (one sentence a line, the rewritten lines one contiguous block: the case the old difflib code was slowest on).
Needs no database (stand-in revisions). Prints one JSON line: per case, the best of `repeat` runs in ms for the
change list, for the HTML (page 1, 500 rows) and for diff_revisions as a whole, and the old difflib
implementation on the 10,000-character cases for comparison. Goal: every 200,000-character, 50% case under 200 ms.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reanchor import WORDS, sentence

GOAL_MS = 200


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))


def body_lines(rng: random.Random, chars: int) -> list[str]:
    """Markdown-like: headings, paragraphs of one to three sentences, list items, blank lines between."""
    lines: list[str] = []
    while sum(len(line) + 1 for line in lines) < chars:
        roll = rng.random()
        if roll < 0.1:
            lines += [f"## {sentence(rng)[:40]}", ""]
        elif roll < 0.25:
            lines += [f"- {sentence(rng)}" for _ in range(rng.randint(2, 4))] + [""]
        else:
            lines += [paragraph(rng), ""]
    return lines


def sentence_lines(rng: random.Random, chars: int) -> list[str]:
    lines: list[str] = []
    while sum(len(line) + 1 for line in lines) < chars:
        lines.append(sentence(rng))
    return lines


def rewrite(rng: random.Random, lines: list[str], share: float, block: bool = False) -> list[str]:
    """Rewrite `share` of the non-blank lines, scattered or as one block in the middle: 40% reworded (a word or
    three), 40% replaced by new text, 10% deleted, 10% with a new paragraph inserted after them."""
    candidates = [i for i, line in enumerate(lines) if line]
    count = round(share * len(candidates))
    if block:
        start = (len(candidates) - count) // 2
        chosen = set(candidates[start : start + count])
    else:
        chosen = set(rng.sample(candidates, count))
    out = []
    for i, line in enumerate(lines):
        if i not in chosen:
            out.append(line)
            continue
        roll = rng.random()
        if roll < 0.4:
            words = line.split(" ")
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            out.append(" ".join(words))
        elif roll < 0.8:
            out.append(paragraph(rng))
        elif roll < 0.9:
            pass
        else:
            out += [line, paragraph(rng)]
    return out


def revision(number: int, lines: list[str]) -> SimpleNamespace:
    references = [SimpleNamespace(number=1, kind="research", citation="Trial of statins", url="")]
    return SimpleNamespace(
        number=number,
        title="Do statins prevent heart attacks?",
        body="\n".join(lines),
        plain_language_summary="",
        references=SimpleNamespace(all=lambda: references),
    )


def old_difflib_diff(a, b) -> dict:
    """The implementation this benchmark replaced (difflib.SequenceMatcher and HtmlDiff), for comparison."""

    def changes(field: str, old: list[str], new: list[str]) -> list[dict]:
        out = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            if op != "equal":
                out.append({"field": field, "op": op, "from_lines": [i1 + 1, i2], "to_lines": [j1 + 1, j2]})
        return out

    def refs(r) -> list[str]:
        return [f"[{x.number}] ({x.kind}) {x.citation}" + (f" {x.url}" if x.url else "") for x in r.references.all()]

    found = changes("title", [a.title], [b.title]) + changes("body", a.body.splitlines(), b.body.splitlines())
    found += changes("references", refs(a), refs(b))
    table = difflib.HtmlDiff(wrapcolumn=80).make_table(
        [a.title, "", *a.body.splitlines(), "", *refs(a)],
        [b.title, "", *b.body.splitlines(), "", *refs(b)],
        fromdesc=f"Revision {a.number}",
        todesc=f"Revision {b.number}",
        context=True,
        numlines=2,
    )
    return {"changes": found, "html": table}


def best_ms(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - started))
    return round(min(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="10000,50000,200000")
    parser.add_argument("--shares", default="0.5,0.1")
    parser.add_argument("--layouts", default="paragraphs,lines")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from articles.diff import change_list, diff_fields, diff_revisions, diff_table

    rng = random.Random(args.seed)
    cases = []
    sizes = [int(size) for size in args.sizes.split(",")]
    shares = [float(share) for share in args.shares.split(",")]
    for layout in args.layouts.split(","):
        for chars, share in ((chars, share) for chars in sizes for share in shares):
            old = body_lines(rng, chars) if layout == "paragraphs" else sentence_lines(rng, chars)
            a, b = revision(1, old), revision(2, rewrite(rng, old, share, block=layout == "lines"))
            result = diff_revisions(a, b)
            fields = diff_fields(a, b)
            case = {
                "layout": layout,
                "chars": len(a.body),
                "rewritten": share,
                "lines": len(old),
                "changes": len(result["changes"]),
                "rows": result["rows"],
                "pages": result["pages"],
                "changes_ms": best_ms(args.repeat, lambda a=a, b=b: change_list(diff_fields(a, b))),
                "html_ms": best_ms(args.repeat, lambda f=fields: diff_table(f, 1, 2)),
                "total_ms": best_ms(args.repeat, lambda a=a, b=b: diff_revisions(a, b)),
            }
            if chars <= 10_000:
                case["old_difflib_ms"] = best_ms(args.repeat, lambda a=a, b=b: old_difflib_diff(a, b))
            cases.append(case)
    goal_cases = [c for c in cases if c["rewritten"] == 0.5 and c["chars"] >= 200_000]
    goal = {"goal_ms": GOAL_MS, "goal_met": all(c["total_ms"] < GOAL_MS for c in goal_cases)} if goal_cases else {}
    print(json.dumps({"cases": cases, **goal}))


if __name__ == "__main__":
    main()
