"""Anchoring annotations to a revision's plain text, and carrying them onto a new revision.

Selectors follow the W3C Web Annotation model: a TextQuoteSelector (exact, prefix, suffix) and a
TextPositionSelector (start, end), positions in Unicode code points of the revision's `text`.
Re-anchoring tries the exact quote near where the edit moved it, then a fuzzy match (the text
nearest in Levenshtein distance, near where the edit moved it), else the annotation is orphaned.
It never places an annotation on text further from its quote than the stated bound.

Re-anchoring runs inside the edit's transaction, under the article's lock, so every step has a
bounded cost: the diff between the revisions is a word-level alignment with a budget (rapidfuzz,
C++), and the fuzzy search looks only at a window around where the diff moved the quote.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate

from rapidfuzz.distance import Levenshtein

CONTEXT_CHARS = 32
# A fuzzy match may differ from the quote by at most this share of its length (and at least 1 edit).
FUZZY_MAX_EDIT_RATIO = 0.25
# An exact occurrence with neither context matching must lie this close to where the edit moved it;
# a fuzzy match is looked for as far (plus its bound) on either side.
EXACT_WINDOW_CHARS = 200
# Quotes up to this length get an exact best-match search (bit-parallel, in Python); longer ones are
# aligned (rapidfuzz) onto the span the diff moved them to, give or take a few characters.
EXACT_SEARCH_MAX_CHARS = 2_000
# How far a long quote's match may stand beyond the span the diff moved it to. Small on purpose: a
# global alignment treats surplus window text as free room to scatter the quote's ends into.
ALIGN_SLACK_CHARS = CONTEXT_CHARS
# The API accepts quotes up to 20,000 characters and a fuzzy match can add a quarter: the alignment's
# cost grows with the square of the quote, so longer quotes are placed exactly or orphaned.
FUZZY_MAX_QUOTE_CHARS = 25_000
# Most token pairs the revision diff may compare (~75 ms); beyond it, coarser tokens are tried.
DIFF_MAX_PAIRS = 1_000_000_000

# Tokens of the revision diff: words with their trailing space, then paragraphs; each partitions the text.
_WORDS = re.compile(r"\S+\s*|\s+")
_LINES = re.compile(r"[^\n]+\n*|\n+")


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


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
        if prefix and not text.endswith(prefix, 0, start):
            raise AnchorError("The prefix does not match the text before the quote.")
        if suffix and not text.startswith(suffix, end):
            raise AnchorError("The suffix does not match the text after the quote.")
        return anchor_at(text, start, end)
    # Occurrences of the quote with its prefix and suffix around it; two are enough to refuse.
    needle = prefix + exact + suffix
    first = text.find(needle)
    if first == -1:
        raise AnchorError("The quote is not in this revision's text.")
    if text.find(needle, first + 1) != -1:
        raise AnchorError("The quote occurs more than once; add a prefix, a suffix or a TextPositionSelector.")
    return anchor_at(text, first + len(prefix), first + len(prefix) + len(exact))


def _exact_match(text: str, backwards: str, quote: str, prefix: str, suffix: str, expected: int) -> int | None:
    """Where the quote stands again: the occurrence with the most context (prefix, suffix) matching,
    then the nearest to `expected`, then the first; with no context matching, only within
    EXACT_WINDOW_CHARS of `expected`. `backwards` is the text reversed.

    Each rank is found by searching outward from `expected` (str.find, linear time, in C), never by
    listing every occurrence: a one-letter quote occurs 200,000 times in 200,000 characters of it.
    """
    both = _nearest(text, backwards, prefix + quote + suffix, len(prefix), expected)
    if both is not None:
        return both
    # No occurrence has both, so one with its prefix or with its suffix around it has exactly one.
    with_prefix = _nearest(text, backwards, prefix + quote, len(prefix), expected)
    with_suffix = _nearest(text, backwards, quote + suffix, 0, expected)
    one = [i for i in (with_prefix, with_suffix) if i is not None]
    if one:
        return min(one, key=lambda i: (abs(i - expected), i))
    bare = _nearest(text, backwards, quote, 0, expected)
    return bare if bare is not None and abs(bare - expected) <= EXACT_WINDOW_CHARS else None


def _nearest(text: str, backwards: str, needle: str, shift: int, target: int) -> int | None:
    """p + shift for the occurrence p of `needle` that puts it nearest to `target` (on a tie, the first)."""
    n, m = len(text), len(needle)
    found = []
    after = text.find(needle, max(0, target - shift))
    if after != -1:
        found.append(after + shift)
    # The last occurrence p <= target - shift - 1, as the first one of the reversed needle in the reversed
    # text from there: str.rfind has no linear-time algorithm (1 s for a 20,000-character needle of 'a's).
    last = target - shift - 1
    if last >= 0:
        r = backwards.find(needle[::-1], max(0, n - last - m))
        if r != -1:
            found.append(n - r - m + shift)
    return min(found, key=lambda i: (abs(i - target), i)) if found else None


def fuzzy_bound(quote: str) -> int:
    return max(1, int(len(quote) * FUZZY_MAX_EDIT_RATIO))


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance (insertions, deletions, substitutions): exact and symmetric.

    With `limit`, anything above it is returned as limit + 1, which lets rapidfuzz stop early
    (its `score_cutoff` has exactly this contract). Cost: O(len(a)·len(b)/64), less with a limit.
    """
    if limit is None:
        return Levenshtein.distance(a, b)
    if limit < 0:  # every distance is above a negative limit (and rapidfuzz takes no negative cutoff)
        return limit + 1
    return Levenshtein.distance(a, b, score_cutoff=limit)


class Reanchorer:
    """Carries anchors from one text onto another; the diff between the two is computed once."""

    def __init__(self, old_text: str, new_text: str) -> None:
        self.new_text = new_text
        self.backwards = new_text[::-1]  # for searching backwards in linear time
        self.moves = _Moves(old_text, new_text)

    def place(self, old: Anchor, original: str | None = None) -> Placement:
        """Exact quote near where the edit moved it, else fuzzy within the bound, else orphaned.

        `original` is the quote as the reviewer made it; a fuzzy match must stay within the bound
        of it too, so that small changes over many revisions never add up to other text.
        """
        placement = self._place(old)
        if original is None or placement.anchor is None or original == old.exact:
            return placement
        bound = fuzzy_bound(original)
        distance = edit_distance(original, placement.anchor.exact, limit=bound)
        if distance > bound:
            return Placement(None, "orphaned")
        return Placement(placement.anchor, placement.method, distance)

    def _place(self, old: Anchor) -> Placement:
        new_text, quote = self.new_text, old.exact
        expected = self.moves.start(old.start)
        i = _exact_match(new_text, self.backwards, quote, old.prefix, old.suffix, expected)
        if i is not None:
            return Placement(anchor_at(new_text, i, i + len(quote)), "exact")
        expected_end = max(expected, self.moves.end(old.end))
        fuzzy = _fuzzy(quote, new_text, expected, expected_end)
        return fuzzy if fuzzy is not None else Placement(None, "orphaned")


def reanchor(old: Anchor, old_text: str, new_text: str) -> Placement:
    """Place one anchor of `old_text` onto `new_text` (use Reanchorer for many)."""
    return Reanchorer(old_text, new_text).place(old)


class _Moves:
    """Where positions of the old text stand in the new one, from a word-level diff.

    diff-match-patch's character diff gave up at its 1 s timeout on a 50,000-character paragraph
    (one delete and one insert for everything), so nothing could be placed by position. Words
    aligned by rapidfuzz take ~50 ms for 200,000 characters of prose; the budget keeps adversarial
    texts (thousands of one-letter words) to about the same by falling back to paragraphs, then to
    the common prefix and suffix alone.
    """

    def __init__(self, old: str, new: str) -> None:
        self.old_length, self.new_length = len(old), len(new)
        blocks = _diff_blocks(old, new)
        # Insertions take up no old text, so no old position maps into one.
        self.blocks = [b for b in blocks if b[1] > b[0]]
        self.los = [b[0] for b in self.blocks]
        self.his = [b[1] for b in self.blocks]

    def start(self, loc: int) -> int:
        """Where the character at `loc` now stands (text inserted just before it comes before it)."""
        k = bisect_right(self.los, loc) - 1
        if k < 0 or loc >= self.his[k]:
            return self.new_length if loc >= self.old_length else 0
        old_lo, _, new_lo, new_hi, equal = self.blocks[k]
        return new_lo + (loc - old_lo if equal else min(loc - old_lo, new_hi - new_lo))

    def end(self, loc: int) -> int:
        """Where the text ending at `loc` now ends (text inserted just after it comes after it)."""
        k = bisect_left(self.his, loc)
        if loc <= 0 or k >= len(self.blocks):
            return 0 if loc <= 0 else self.new_length
        old_lo, _, new_lo, new_hi, equal = self.blocks[k]
        return new_lo + (loc - old_lo if equal else min(loc - old_lo, new_hi - new_lo))


def _diff_blocks(old: str, new: str) -> list[tuple[int, int, int, int, bool]]:
    """(old_lo, old_hi, new_lo, new_hi, equal) blocks covering both texts, in order."""
    for tokens in (_WORDS, _LINES):
        a, b = tokens.findall(old), tokens.findall(new)
        head = _common_prefix(a, b)
        tail = _common_prefix(a[head:][::-1], b[head:][::-1])
        # The alignment costs (differing tokens)² / 64 word operations; the common ends cost nothing.
        if (len(a) - head - tail) * (len(b) - head - tail) <= DIFF_MAX_PAIRS:
            break
    else:
        head = _common_prefix(old, new)
        tail = _common_prefix(old[head:][::-1], new[head:][::-1])
        return [
            (0, head, 0, head, True),
            (head, len(old) - tail, head, len(new) - tail, False),
            (len(old) - tail, len(old), len(new) - tail, len(new), True),
        ]
    a_at = [0, *accumulate(len(t) for t in a)]
    b_at = [0, *accumulate(len(t) for t in b)]
    return [
        (a_at[i1], a_at[i2], b_at[j1], b_at[j2], tag == "equal") for tag, i1, i2, j1, j2 in Levenshtein.opcodes(a, b)
    ]


def _common_prefix(a, b) -> int:
    """Length of the common prefix of two strings or lists (binary search over slice comparisons, in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _fuzzy(quote: str, text: str, start: int, end: int) -> Placement | None:
    """The text nearest to the quote in Levenshtein distance around start..end (where the diff moved
    it), if within the bound; ties go to the match nearest to where the quote was expected."""
    if not text or not quote or len(quote) > FUZZY_MAX_QUOTE_CHARS:
        return None
    bound = fuzzy_bound(quote)
    if len(quote) <= EXACT_SEARCH_MAX_CHARS:
        spans = _search(quote, text, start, end, bound)
    else:
        spans = _align(quote, text, start, end, bound)
    # The guarantee rests on this exact check, whatever found the spans.
    scored = [(edit_distance(quote, text[lo:hi], limit=bound), lo, hi) for lo, hi in spans if lo < hi]
    if not scored:
        return None
    distance, lo, hi = min(scored, key=lambda found: found[0])
    if distance > bound:
        return None
    return Placement(anchor_at(text, lo, hi), "fuzzy", distance)


def _search(quote: str, text: str, start: int, end: int, bound: int) -> list[tuple[int, int]]:
    """The best match within EXACT_WINDOW_CHARS (and the bound) of start..end, found exactly.

    Cost: two passes of Myers' bit-parallel algorithm, one step per window character on integers as
    wide as the quote: O(window · quote / 30) operations on 30-bit digits, with the window at most
    quote + 4·bound + 3·EXACT_WINDOW_CHARS characters (~5 ms for 2,000 characters).
    """
    m, pad = len(quote), EXACT_WINDOW_CHARS + bound
    lo = max(0, start - pad)
    hi = min(len(text), max(end, start + m) + pad, start + m + bound + 2 * pad)
    window = text[lo:hi]
    # Best end: the least distance of the quote to any substring ending there.
    ends = _myers(quote, window, anchored=False)
    best = min(ends[1:], default=bound + 1)
    if best > bound:
        return []
    e = min((j for j in range(1, len(ends)) if ends[j] == best), key=lambda j: abs(lo + j - end))
    # Best start for that end: the reversed quote against the text read backwards from the end.
    before = window[max(0, e - m - bound) : e][::-1]
    starts = _myers(quote[::-1], before, anchored=True)
    k = min(
        (k for k in range(1, len(starts)) if starts[k] == best), key=lambda k: abs(lo + e - k - start), default=None
    )
    return [] if k is None else [(lo + e - k, lo + e)]


def _myers(pattern: str, text: str, anchored: bool) -> list[int]:
    """Edit distances of `pattern` to text[s:j] for j = 0..len(text): the least over all s, or with
    `anchored` s = 0 (Myers 1999, as formulated by Hyyrö; one bit per pattern character)."""
    m = len(pattern)
    mask, high = (1 << m) - 1, 1 << (m - 1)
    equal: dict[str, int] = {}
    for i, c in enumerate(pattern):
        equal[c] = equal.get(c, 0) | (1 << i)
    plus_v, minus_v, score, carry = mask, 0, m, int(anchored)
    scores = [m]
    for c in text:
        eq = equal.get(c, 0)
        x_v = eq | minus_v
        x_h = (((eq & plus_v) + plus_v) ^ plus_v) | eq
        plus_h = minus_v | (~(x_h | plus_v) & mask)
        minus_h = plus_v & x_h
        if plus_h & high:
            score += 1
        elif minus_h & high:
            score -= 1
        # The top row costs nothing in a search (a match may start anywhere), one per character when anchored.
        plus_h = ((plus_h << 1) | carry) & mask
        minus_h = (minus_h << 1) & mask
        plus_v = minus_h | (~(x_v | plus_h) & mask)
        minus_v = plus_h & x_v
        scores.append(score)
    return scores


def _align(quote: str, text: str, start: int, end: int, bound: int) -> list[tuple[int, int]]:
    """A long quote's candidate matches: the span the diff moved it to, and the quote's global alignment
    onto that span give or take ALIGN_SLACK_CHARS, with the ends of the alignment that cost more than
    they match cut off. rapidfuzz aligns with Hyyrö's bit-parallel algorithm in O(quote²/64) time
    (~50 ms and ~2 MB at 25,000 characters)."""
    m = len(quote)
    lo = max(0, start - ALIGN_SLACK_CHARS)
    hi = min(len(text), max(end, start + m) + ALIGN_SLACK_CHARS, start + m + bound + 2 * ALIGN_SLACK_CHARS)
    ops = Levenshtein.opcodes(quote, text[lo:hi])
    # Cutting the alignment at a block boundary leaves out the text before it and deletes the quote before
    # it instead; keep the cut that saves most (on ties the outermost, so that replaced text stays in).
    cost, first = 0, (0, 0)  # (saving, window position)
    for op in ops:
        if op.tag != "equal":
            cost += max(op.src_end - op.src_start, op.dest_end - op.dest_start)
        if cost - op.src_end > first[0]:
            first = (cost - op.src_end, op.dest_end)
    cost, last = 0, (0, hi - lo)
    for op in reversed(ops):
        if op.tag != "equal":
            cost += max(op.src_end - op.src_start, op.dest_end - op.dest_start)
        if cost - (m - op.src_start) > last[0]:
            last = (cost - (m - op.src_start), op.dest_start)
    spans = [(start, end)]
    if first[1] < last[1]:
        spans.append((lo + first[1], lo + last[1]))
    return spans
