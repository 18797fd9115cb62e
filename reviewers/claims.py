"""The claims of a revision a board member can verify one by one: each sentence that cites a source (a
citation marker) or states a dose. Pure: text in, claims out.

A claim is a sentence, not a marker or a dose: "verified against [n]" is a judgement about what the sentence
says, and a sentence with two doses is read (and verified) as one. A claim's key is the hash of its wording,
not its position, so a verification can follow the sentence onto the next revision exactly when the sentence
is unchanged; the same sentence twice in one revision is told apart by its occurrence ("#2").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from articles.models import Revision

from . import checks


@dataclass(frozen=True)
class Claim:
    key: str  # sha256 of the sentence's wording, with "#2", "#3" for repeats: stable across revisions
    start: int  # code points in the revision's plain text, as annotation positions count
    end: int
    sentence: str  # whitespace collapsed
    references: tuple[int, ...]  # the [n] markers in the sentence, in order, without repeats
    doses: tuple[str, ...]  # the dose statements in the sentence

    @property
    def is_dose(self) -> bool:
        return bool(self.doses)

    def element_id(self) -> str:
        return claim_element_id(self.key)

    def reference_choices(self, numbers: Sequence[int]) -> list[int]:
        """What the claim may be verified against: its own markers, or any reference when it cites none
        (a dose statement without a marker is still checked against a source)."""
        return list(self.references) if self.references else sorted(numbers)


def claim_element_id(claim_key: str) -> str:
    """A claim's id in the workspace page: short, and distinct for a repeated sentence (its "#2")."""
    digest, _, repeat = claim_key.partition("#")
    return f"claim-{digest[:12]}" + (f"-{repeat}" if repeat else "")


def dose_statements(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each dose statement in text[start:end].

    The one place claims learn what a dose is: the automated `dosage` check's own rule, so that a dose the
    check annotates is a dose the member must verify, and an improvement to the rule reaches both.
    """
    return checks.dose_spans(text, start, end)


def sentence_hash(sentence: str) -> str:
    return hashlib.sha256(" ".join(sentence.split()).encode()).hexdigest()


def find_claims(text: str, blocks: Sequence[tuple[str, int, int]] | None) -> list[Claim]:
    """Every claim of a revision's plain text, in text order. `blocks` are RenderedBody.blocks."""
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for segment in checks.text_segments(text, blocks):
        doses = dose_statements(text, segment.start, segment.end)
        code = segment.tag == "pre"
        if code and not doses:
            continue
        for start, end in checks.split_sentences(text, segment.start, segment.end):
            sentence = text[start:end]
            # In code a "[1]" cites nothing, but a dose is a dose wherever it stands: the dosage check flags it.
            markers = (
                () if code else tuple(dict.fromkeys(int(m.group(1)) for m in checks.MARKER_PATTERN.finditer(sentence)))
            )
            in_sentence = tuple(" ".join(text[a:b].split()) for a, b in doses if start <= a < end)
            if not markers and not in_sentence:
                continue
            digest = sentence_hash(sentence)
            seen[digest] = seen.get(digest, 0) + 1
            key = digest if seen[digest] == 1 else f"{digest}#{seen[digest]}"
            claims.append(Claim(key, start, end, " ".join(sentence.split()), markers, in_sentence))
    return claims


def sentence_spans(text: str, blocks: Sequence[tuple[str, int, int]] | None) -> list[tuple[int, int]]:
    """(start, end) of every sentence of the text, headings and list items included, in text order."""
    return [
        span for seg in checks.text_segments(text, blocks) for span in checks.split_sentences(text, seg.start, seg.end)
    ]


def changed_sentences(old: Revision, new: Revision) -> list[tuple[int, int]]:
    """(start, end) in the new revision's text of each sentence whose wording is not in the old revision:
    what a member who signed the old one has not read."""
    before = {sentence_hash(old.text[a:b]) for a, b in sentence_spans(old.text, old.blocks)}
    return [(a, b) for a, b in sentence_spans(new.text, new.blocks) if sentence_hash(new.text[a:b]) not in before]


def overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < b and a < max(end, start + 1) for a, b in spans)


def revision_claims(revision: Revision) -> list[Claim]:
    """The claims of a revision (its frozen plain text, cut into blocks by rendering its body). Memoised on the
    revision object: a page and the services it asks read it more than once."""
    cached = revision.__dict__.get("_claims")
    if cached is None:
        cached = find_claims(revision.text, revision.blocks)
        revision.__dict__["_claims"] = cached
    return cached
