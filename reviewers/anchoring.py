"""Anchoring annotations to a revision's plain text, and carrying them onto a new revision.

Selectors follow the W3C Web Annotation model: a TextQuoteSelector (exact, prefix, suffix) and a
TextPositionSelector (start, end), positions in Unicode code points of the revision's `text`.
Re-anchoring tries the exact quote near where the edit moved it, then a fuzzy match
(diff-match-patch's Bitap matcher, bounded edit distance), else the annotation is orphaned.
It never places an annotation on text further from its quote than the stated bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from diff_match_patch import diff_match_patch

CONTEXT_CHARS = 32
# A fuzzy match may differ from the quote by at most this share of its length (and at least 1 edit).
FUZZY_MAX_EDIT_RATIO = 0.25
# An exact occurrence with neither context matching must lie this close to where the edit moved it.
EXACT_WINDOW_CHARS = 200


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str

    def selectors(self) -> list[dict]:
        return [
            {"type": "TextQuoteSelector", "exact": self.exact, "prefix": self.prefix, "suffix": self.suffix},
            {"type": "TextPositionSelector", "start": self.start, "end": self.end},
        ]


@dataclass(frozen=True)
class Placement:
    anchor: Anchor | None
    method: str  # "exact", "fuzzy" or "orphaned"
    distance: int = 0  # edit distance between the quote and the text it now points at


class AnchorError(ValueError):
    """The selectors do not describe text that stands in the revision."""


def anchor_at(text: str, start: int, end: int) -> Anchor:
    return Anchor(
        start=start,
        end=end,
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
    )


def anchor_from_selectors(
    text: str, exact: str, prefix: str = "", suffix: str = "", start: int | None = None, end: int | None = None
) -> Anchor:
    """Check that the quote really stands in `text` (at start..end when given) and return its anchor."""
    if not exact:
        raise AnchorError("The quote (exact) is empty.")
    if start is not None or end is not None:
        if start is None or end is None:
            raise AnchorError("A TextPositionSelector needs both start and end.")
        if not (0 <= start < end <= len(text)):
            raise AnchorError(f"Positions {start}..{end} are outside the text (0..{len(text)}).")
        if text[start:end] != exact:
            raise AnchorError(f"The quote does not stand at {start}..{end}; the text there is {text[start:end]!r}.")
        if prefix and not text[:start].endswith(prefix):
            raise AnchorError("The prefix does not match the text before the quote.")
        if suffix and not text[end:].startswith(suffix):
            raise AnchorError("The suffix does not match the text after the quote.")
        return anchor_at(text, start, end)
    matches = [
        i for i in _occurrences(text, exact) if text[:i].endswith(prefix) and text[i + len(exact) :].startswith(suffix)
    ]
    if not matches:
        raise AnchorError("The quote is not in this revision's text.")
    if len(matches) > 1:
        raise AnchorError("The quote occurs more than once; add a prefix, a suffix or a TextPositionSelector.")
    return anchor_at(text, matches[0], matches[0] + len(exact))


def _occurrences(text: str, quote: str) -> list[int]:
    found, i = [], text.find(quote)
    while i != -1:
        found.append(i)
        i = text.find(quote, i + 1)
    return found


def fuzzy_bound(quote: str) -> int:
    return max(1, int(len(quote) * FUZZY_MAX_EDIT_RATIO))


def _matcher() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 1.0
    dmp.Match_Threshold = 0.4
    dmp.Match_Distance = 2000
    return dmp


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance (insertions, deletions, substitutions): exact and symmetric.

    With `limit`, only a band of width 2·limit is computed and anything above it is returned as limit + 1.
    (diff-match-patch's diff-based count is not minimal, so it cannot guard a bound.)
    """
    if a == b:
        return 0
    n, m = len(a), len(b)
    limit = max(n, m) if limit is None else limit
    over = limit + 1
    if abs(n - m) > limit:
        return over
    previous = [j if j <= limit else over for j in range(m + 1)]
    for i in range(1, n + 1):
        current = [over] * (m + 1)
        if i <= limit:
            current[0] = i
        low, high = max(1, i - limit), min(m, i + limit)
        for j in range(low, high + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost, over)
        if min(current[max(0, low - 1) : high + 1]) > limit:
            return over
        previous = current
    return min(previous[m], over)


class Reanchorer:
    """Carries anchors from one text onto another; the diff between the two is computed once."""

    def __init__(self, old_text: str, new_text: str) -> None:
        self.dmp = _matcher()
        self.new_text = new_text
        self.diffs = self.dmp.diff_main(old_text, new_text)

    def place(self, old: Anchor, original: str | None = None) -> Placement:
        """Exact quote near where the edit moved it, else fuzzy within the bound, else orphaned.

        `original` is the quote as the reviewer made it; a fuzzy match must stay within the bound
        of it too, so that small changes over many revisions never add up to other text.
        """
        placement = self._place(old)
        if original is None or placement.anchor is None or original == old.exact:
            return placement
        distance = edit_distance(original, placement.anchor.exact)
        if distance > fuzzy_bound(original):
            return Placement(None, "orphaned")
        return Placement(placement.anchor, placement.method, distance)

    def _place(self, old: Anchor) -> Placement:
        new_text, quote = self.new_text, old.exact
        expected = self.dmp.diff_xIndex(self.diffs, old.start)
        candidates = []
        for i in _occurrences(new_text, quote):
            context = int(new_text[:i].endswith(old.prefix)) + int(new_text[i + len(quote) :].startswith(old.suffix))
            if context or abs(i - expected) <= EXACT_WINDOW_CHARS:
                candidates.append((-context, abs(i - expected), i))
        if candidates:
            i = min(candidates)[2]
            return Placement(anchor_at(new_text, i, i + len(quote)), "exact")
        fuzzy = _fuzzy(self.dmp, quote, new_text, expected)
        return fuzzy if fuzzy is not None else Placement(None, "orphaned")


def reanchor(old: Anchor, old_text: str, new_text: str) -> Placement:
    """Place one anchor of `old_text` onto `new_text` (use Reanchorer for many)."""
    return Reanchorer(old_text, new_text).place(old)


def _fuzzy(dmp: diff_match_patch, quote: str, text: str, expected: int) -> Placement | None:
    if not text:
        return None
    bound = fuzzy_bound(quote)
    width = dmp.Match_MaxBits
    expected = min(max(expected, 0), len(text))
    start = dmp.match_main(text, quote[:width], expected)
    if start == -1:
        return None
    if len(quote) <= width:
        ends = range(max(start + 1, start + len(quote) - bound), min(len(text), start + len(quote) + bound) + 1)
    else:
        tail_at = dmp.match_main(text, quote[-width:], min(len(text), start + len(quote) - width))
        if tail_at == -1 or tail_at + width <= start:
            return None
        # A fuzzy tail match can stand closer to the end than its own length.
        end = min(len(text), tail_at + width)
        ends = range(end, end + 1)
    best = None
    for end in ends:
        distance = edit_distance(quote, text[start:end], limit=bound)
        if best is None or distance < best[0]:
            best = (distance, end)
    if best is None or best[0] > bound:
        return None
    return Placement(anchor_at(text, start, best[1]), "fuzzy", best[0])
