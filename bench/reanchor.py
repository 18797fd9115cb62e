"""Benchmark: carrying 200 annotations of a 5,000-character article onto a revision that rewrites 10% of it.

Run: .venv/bin/python bench/reanchor.py [--seed 7] [--annotations 200] [--chars 5000] [--rewrite 0.10]
Prints one JSON line: how many annotations were re-anchored exactly, fuzzily, or orphaned, and the time.

With --growth [--repeat 3], how the cost grows instead (best of --repeat runs each): one edited sentence
re-anchored in texts of 10,000, 50,000 and 200,000 characters (10% of each rewritten; one paragraph, or
paragraphs of five sentences), and quotes of 2,000 and 20,000 characters with 10% of their characters
edited, in a 12,000 to 30,000-character text. Prints one JSON line: per case, the diff (Reanchorer) and
placement times in ms, the method, distance and bound.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewers.anchoring import Reanchorer, anchor_at, edit_distance, fuzzy_bound

WORDS = [
    "patients",
    "statin",
    "therapy",
    "reduces",
    "cardiovascular",
    "events",
    "risk",
    "cholesterol",
    "guideline",
    "trial",
    "evidence",
    "dose",
    "adults",
    "older",
    "younger",
    "blood",
    "pressure",
    "diet",
    "exercise",
    "benefit",
    "harm",
    "muscle",
    "symptoms",
    "liver",
    "monitoring",
    "primary",
    "secondary",
    "prevention",
    "clinician",
    "recommends",
    "evaluate",
    "baseline",
    "follow-up",
    "months",
    "years",
    "percent",
    "relative",
    "absolute",
]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + f" [{rng.randint(1, 9)}]."


def article_text(rng: random.Random, chars: int) -> list[str]:
    sentences = []
    while sum(len(s) + 1 for s in sentences) < chars:
        sentences.append(sentence(rng))
    return sentences


def rewrite(rng: random.Random, sentences: list[str], share: float) -> list[str]:
    """Rewrite about `share` of the characters: reword, delete and insert whole sentences."""
    budget = share * sum(len(s) + 1 for s in sentences)
    out = list(sentences)
    while budget > 0:
        i = rng.randrange(len(out))
        action = rng.random()
        if action < 0.5:  # change a word or two inside a sentence
            words = out[i].split(" ")
            for _ in range(rng.randint(1, 2)):
                j = rng.randrange(len(words))
                old = words[j]
                words[j] = rng.choice(WORDS)
                budget -= max(len(old), len(words[j]))
            out[i] = " ".join(words)
        elif action < 0.75:  # delete a sentence
            budget -= len(out.pop(i)) + 1
        else:  # insert a new sentence
            new = sentence(rng)
            out.insert(i, new)
            budget -= len(new) + 1
    return out


def edit_characters(rng: random.Random, text: str, share: float) -> str:
    """Substitute, delete or insert single characters at `share` of the text's positions."""
    chars = list(text)
    for _ in range(int(share * len(text))):
        i = rng.randrange(len(chars))
        action = rng.random()
        if action < 1 / 3:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
        elif action < 2 / 3 and len(chars) > 1:
            del chars[i]
        else:
            chars.insert(i, rng.choice("abcdefghijklmnopqrstuvwxyz "))
    return "".join(chars)


def timed(repeat: int, run):
    """Best time of `repeat` runs, in ms, and the last result."""
    best, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        elapsed = 1000 * (time.perf_counter() - started)
        best = elapsed if best is None else min(best, elapsed)
    return round(best, 2), result


def growth_case(repeat: int, old_text: str, new_text: str, start: int, end: int) -> dict:
    anchor = anchor_at(old_text, start, end)
    diff_ms, reanchorer = timed(repeat, lambda: Reanchorer(old_text, new_text))
    place_ms, placement = timed(repeat, lambda: reanchorer.place(anchor))
    if placement.anchor is not None:  # the guarantee, checked as in the main benchmark
        found = new_text[placement.anchor.start : placement.anchor.end]
        assert placement.distance == edit_distance(found, anchor.exact) <= fuzzy_bound(anchor.exact)
    return {
        "diff_ms": diff_ms,
        "place_ms": place_ms,
        "method": placement.method,
        "distance": placement.distance,
        "bound": fuzzy_bound(anchor.exact),
    }


def growth(rng: random.Random, repeat: int) -> dict:
    texts = {}
    for chars in (10_000, 50_000, 200_000):
        texts[str(chars)] = {}
        # One paragraph (as in the main benchmark: the hardest case for a line-based diff), or paragraphs of
        # five sentences (as revision texts come: blocks separated by blank lines).
        for layout, sentences_per_paragraph in (("one_paragraph", None), ("paragraphs", 5)):
            # One sentence in the middle is the quote; a word of it changes, so it needs a fuzzy match.
            sentences = article_text(rng, chars)
            middle = len(sentences) // 2
            left, quote, right = sentences[:middle], sentences[middle], sentences[middle + 1 :]
            words = quote.split(" ")
            words[len(words) // 2] = "rhabdomyolysis"
            if sentences_per_paragraph:
                left, right = paragraphs(left, sentences_per_paragraph), paragraphs(right, sentences_per_paragraph)
            old_text = " ".join([*left, quote, *right])
            new_text = " ".join([*rewrite(rng, left, 0.10), " ".join(words), *rewrite(rng, right, 0.10)])
            start = len(" ".join(left)) + 1
            texts[str(chars)][layout] = {
                "quote_chars": len(quote),
                **growth_case(repeat, old_text, new_text, start, start + len(quote)),
            }
    quotes = {}
    for chars in (2_000, 20_000):
        before, after = " ".join(article_text(rng, 5_000)), " ".join(article_text(rng, 5_000))
        quote = " ".join(article_text(rng, chars + 1))[:chars]
        old_text = f"{before} {quote} {after}"
        new_text = f"{before} {edit_characters(rng, quote, 0.10)} {after}"
        start = len(before) + 1
        quotes[str(chars)] = {
            "text_chars": len(old_text),
            **growth_case(repeat, old_text, new_text, start, start + chars),
        }
    return {"repeat": repeat, "edited": 0.10, "texts": texts, "quotes": quotes}


def paragraphs(sentences: list[str], size: int) -> list[str]:
    """Sentences grouped into paragraphs, each ending with a blank line (as "rewrite" units they stay whole)."""
    return [" ".join(sentences[i : i + size]) + "\n\n" for i in range(0, len(sentences), size)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--annotations", type=int, default=200)
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--rewrite", type=float, default=0.10)
    parser.add_argument("--growth", action="store_true", help="how the cost grows with the text and the quote")
    parser.add_argument("--repeat", type=int, default=3, help="with --growth: runs per case, best one kept")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.growth:
        print(json.dumps(growth(rng, args.repeat)))
        return

    sentences = article_text(rng, args.chars)
    old_text = " ".join(sentences)
    anchors = []
    while len(anchors) < args.annotations:
        start = rng.randrange(0, len(old_text) - 60)
        end = start + rng.randint(12, 60)
        anchors.append(anchor_at(old_text, start, end))
    new_text = " ".join(rewrite(rng, sentences, args.rewrite))

    started = time.perf_counter()
    reanchorer = Reanchorer(old_text, new_text)
    placements = [reanchorer.place(a) for a in anchors]
    seconds = time.perf_counter() - started

    counts = {"exact": 0, "fuzzy": 0, "orphaned": 0}
    for anchor, placement in zip(anchors, placements, strict=True):
        counts[placement.method] += 1
        # The guarantee the benchmark also checks: never onto text beyond the bound.
        if placement.anchor is not None:
            found = new_text[placement.anchor.start : placement.anchor.end]
            assert (
                placement.distance
                == edit_distance(found, anchor.exact)
                <= (0 if placement.method == "exact" else fuzzy_bound(anchor.exact))
            )
    print(
        json.dumps(
            {
                "chars_before": len(old_text),
                "chars_after": len(new_text),
                "annotations": len(anchors),
                **counts,
                "seconds": round(seconds, 3),
                "ms_per_annotation": round(1000 * seconds / len(anchors), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
