"""Benchmark: carrying 200 annotations of a 5,000-character article onto a revision that rewrites 10% of it.

Run: .venv/bin/python bench/reanchor.py [--seed 7] [--annotations 200] [--chars 5000] [--rewrite 0.10]
Prints one JSON line: how many annotations were re-anchored exactly, fuzzily, or orphaned, and the time.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--annotations", type=int, default=200)
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--rewrite", type=float, default=0.10)
    args = parser.parse_args()
    rng = random.Random(args.seed)

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
            assert edit_distance(found, anchor.exact) <= (
                0 if placement.method == "exact" else fuzzy_bound(anchor.exact)
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
