"""Property-based tests of re-anchoring (reviewers/anchoring.py): whatever the edit, an annotation lands on
its exact quote, on text within the fuzzy bound of it, or nowhere (orphaned)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from reviewers.anchoring import (
    CONTEXT_CHARS,
    EXACT_WINDOW_CHARS,
    AnchorError,
    Placement,
    _exact_match,
    anchor_at,
    anchor_from_selectors,
    edit_distance,
    fuzzy_bound,
    reanchor,
)

FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
QUICK = settings(FAST, max_examples=100)

# Small alphabets make repeated quotes and near-misses likely; words make it read like an article.
REPETITIVE = st.text(alphabet="ab ", min_size=1, max_size=120)
WORDS = st.lists(
    st.sampled_from(["statins", "lower", "LDL", "the", "risk", "of", "events", "trial", "[1]", ".", "\n\n", "a"]),
    min_size=1,
    max_size=60,
).map(" ".join)
PROSE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=150)
TEXTS = st.one_of(REPETITIVE, WORDS, PROSE)
INSERTS = st.one_of(st.text(alphabet="ab ", max_size=12), st.text(max_size=40), st.sampled_from(["statins ", "LDL"]))


@st.composite
def quoted(draw, texts=TEXTS):
    """A text and the [start, end) of a non-empty quote in it."""
    text = draw(texts)
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, min(len(text), start + 60)))
    return text, start, end


@st.composite
def edits(draw, text: str, start: int, end: int):
    """1 to 3 insertions, deletions or replacements, each anywhere or inside the quote (as it first stood)."""
    for _ in range(draw(st.integers(1, 3))):
        inside = draw(st.booleans()) and start < min(end, len(text))
        lo, hi = (start, min(end, len(text))) if inside else (0, len(text))
        at = draw(st.integers(lo, hi))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        cut = 0 if kind == "insert" else draw(st.integers(0, min(20, len(text) - at)))
        new = "" if kind == "delete" else draw(INSERTS)
        text = text[:at] + new + text[at + cut :]
    return text


def check_placement(placement, quote: str, new_text: str) -> None:
    anchor = placement.anchor
    if placement.method == "exact":
        assert anchor is not None
        assert new_text[anchor.start : anchor.end] == quote
        assert placement.distance == 0
    elif placement.method == "fuzzy":
        assert anchor is not None
        found = new_text[anchor.start : anchor.end]
        assert 0 <= anchor.start < anchor.end <= len(new_text)
        assert edit_distance(found, quote) <= fuzzy_bound(quote)
        assert placement.distance == edit_distance(found, quote)
    else:
        assert placement.method == "orphaned"
        assert anchor is None
        return
    # The anchor describes the text it points at, so it can be carried again from the new revision.
    assert anchor.exact == new_text[anchor.start : anchor.end]
    assert new_text[: anchor.start].endswith(anchor.prefix)
    assert new_text[anchor.end :].startswith(anchor.suffix)
    again = anchor_from_selectors(new_text, anchor.exact, anchor.prefix, anchor.suffix, anchor.start, anchor.end)
    assert again == anchor


@FAST
@given(data=st.data(), case=quoted())
@example(data=None, case=("Statins lower LDL cholesterol [1].", 8, 13))
def test_reanchor_is_exact_fuzzy_within_bound_or_orphaned(data, case):
    text, start, end = case
    old = anchor_at(text, start, end)
    new_text = data.draw(edits(text, start, end)) if data is not None else "Statins lowers LDL cholesterol [1]."
    placement = reanchor(old, text, new_text)
    check_placement(placement, old.exact, new_text)


@QUICK
@given(case=quoted())
def test_unchanged_text_keeps_an_exact_anchor_in_place(case):
    text, start, end = case
    old = anchor_at(text, start, end)
    placement = reanchor(old, text, text)
    assert placement.method == "exact"
    assert placement.anchor == old


FILLER = st.text(alphabet="abc \n", max_size=120)
QUOTES = st.text(alphabet="XYZ", min_size=1, max_size=30)
FILLER_EDIT = st.text(alphabet="abc \n", max_size=30)


LONG_FILLER = st.text(alphabet="abc \n", min_size=CONTEXT_CHARS + 1, max_size=150)


@FAST
@given(data=st.data(), left=LONG_FILLER, quote=QUOTES, right=LONG_FILLER)
def test_an_edit_far_from_the_quote_keeps_it_exact_at_the_shifted_position(data, left, quote, right):
    """The quote's letters occur nowhere else, and the edit stays more than CONTEXT_CHARS away from it."""
    text = left + quote + right
    start, end = len(left), len(left) + len(quote)
    before = data.draw(st.booleans())
    if before:
        at = data.draw(st.integers(0, len(left) - CONTEXT_CHARS - 1))
        cut = data.draw(st.integers(0, len(left) - CONTEXT_CHARS - 1 - at))
    else:
        at = data.draw(st.integers(end + CONTEXT_CHARS + 1, len(text)))
        cut = data.draw(st.integers(0, len(text) - at))
    new = data.draw(FILLER_EDIT)
    assume(cut or new)
    new_text = text[:at] + new + text[at + cut :]
    shift = len(new) - cut if before else 0

    placement = reanchor(anchor_at(text, start, end), text, new_text)
    assert placement.method == "exact"
    assert (placement.anchor.start, placement.anchor.end) == (start + shift, end + shift)
    assert new_text[placement.anchor.start : placement.anchor.end] == quote


@FAST
@given(data=st.data(), left=FILLER, quote=QUOTES, right=FILLER)
def test_an_edit_next_to_a_unique_quote_keeps_it_exact(data, left, quote, right):
    """Even touching its prefix or suffix, an edit outside a quote that occurs once leaves it exact."""
    text = left + quote + right
    start, end = len(left), len(left) + len(quote)
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, start))
        cut = data.draw(st.integers(0, start - at))
        shift_applies = True
    else:
        at = data.draw(st.integers(end, len(text)))
        cut = data.draw(st.integers(0, len(text) - at))
        shift_applies = False
    new = data.draw(FILLER_EDIT)
    new_text = text[:at] + new + text[at + cut :]
    shift = len(new) - cut if shift_applies else 0
    placement = reanchor(anchor_at(text, start, end), text, new_text)
    assert placement.method == "exact"
    assert (placement.anchor.start, placement.anchor.end) == (start + shift, end + shift)


@QUICK
@given(left=FILLER, quote=st.text(alphabet="XYZ", min_size=4, max_size=30), right=FILLER)
def test_deleting_the_quote_orphans_it(left, quote, right):
    text = left + quote + right
    placement = reanchor(anchor_at(text, len(left), len(left) + len(quote)), text, left + right)
    # Nothing in the new text is within the bound of a quote made only of letters it no longer contains.
    assert placement.method == "orphaned"
    assert placement.anchor is None


@QUICK
@given(case=quoted(), wrong_shift=st.integers(1, 5))
def test_anchor_from_selectors_checks_the_quote_at_its_position(case, wrong_shift):
    text, start, end = case
    quote = text[start:end]
    anchor = anchor_from_selectors(text, quote, start=start, end=end)
    assert (anchor.start, anchor.end, anchor.exact) == (start, end, quote)
    moved = start + wrong_shift
    if moved + len(quote) <= len(text) and text[moved : moved + len(quote)] != quote:
        try:
            anchor_from_selectors(text, quote, start=moved, end=moved + len(quote))
        except AnchorError:
            pass
        else:
            raise AssertionError("a quote that does not stand at the position was accepted")


def test_fuzzy_bound_is_a_quarter_of_the_quote_and_at_least_one():
    assert [fuzzy_bound("x" * n) for n in (1, 3, 4, 8, 9, 40)] == [1, 1, 1, 2, 2, 10]
    assert edit_distance("Statins lower", "Statins lowers") == 1


# Long quotes: the reviewer may quote up to 20,000 characters (the API's limit), and the fuzzy search must
# still find them when a tenth of their characters changed. No timing here; bench/reanchor.py --growth times it.
VOCABULARY = ["statins", "lower", "the", "risk", "of", "cardiovascular", "events", "in", "adults", "with"]
VOCABULARY += ["high", "LDL", "cholesterol", "trial", "[1]"]


def prose(rng, chars: int) -> str:
    """Exactly `chars` characters of words."""
    words = []
    while sum(len(w) + 1 for w in words) <= chars:
        words.append(rng.choice(VOCABULARY))
    return " ".join(words)[:chars]


def edit_characters(rng, text: str, share: float) -> str:
    """Substitute, delete or insert single characters at `share` of the text's positions, anywhere in it."""
    chars = list(text)
    for _ in range(int(share * len(text))):
        at = rng.randrange(len(chars))
        kind = rng.choice(["substitute", "delete", "insert"])
        if kind == "substitute":
            chars[at] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
        elif kind == "delete":
            del chars[at]
        else:
            chars.insert(at, rng.choice("abcdefghijklmnopqrstuvwxyz "))
    return "".join(chars)


# Texts this long are drawn from a seed: Hypothesis would have to generate (and shrink) every character.
SEEDS = st.integers(0, 2**32 - 1)


def check_long_quote(rng, length: int) -> None:
    before, quote, after = prose(rng, rng.randint(0, 3000)), prose(rng, length), prose(rng, rng.randint(0, 3000))
    edited = edit_characters(rng, quote, 0.10)
    old_text, new_text = before + quote + after, before + edited + after
    placement = reanchor(anchor_at(old_text, len(before), len(before) + length), old_text, new_text)
    assert placement.method == "fuzzy"
    check_placement(placement, quote, new_text)
    # And it is the edited passage that it found, give or take a few characters at its ends.
    overlap = min(placement.anchor.end, len(before) + len(edited)) - max(placement.anchor.start, len(before))
    assert overlap >= 0.95 * len(edited)


@settings(FAST, max_examples=20)
@given(seed=SEEDS)
def test_a_2000_character_quote_with_a_tenth_edited_is_placed_within_the_bound(seed):
    check_long_quote(random.Random(seed), 2_000)


@settings(FAST, max_examples=4)
@given(seed=SEEDS)
def test_a_20000_character_quote_with_a_tenth_edited_is_placed_within_the_bound(seed):
    check_long_quote(random.Random(seed), 20_000)


@pytest.mark.parametrize("length", [4, 60, 2_000, 20_000])
@pytest.mark.parametrize("replacement", ["", "statins lower the risk"])
def test_a_quote_whose_text_is_gone_is_orphaned(length, replacement):
    """Upper-case letters the rest of the text never uses: nothing else is within the bound of the quote."""
    rng = random.Random(length)
    before, after = prose(rng, 5_000), prose(rng, 5_000)
    quote = "".join(rng.choice("QWXZ") for _ in range(length))
    old_text = before + quote + after
    placement = reanchor(anchor_at(old_text, len(before), len(before) + length), old_text, before + replacement + after)
    assert placement == Placement(None, "orphaned")


def levenshtein(a: str, b: str) -> int:
    """The textbook dynamic programme, as the reference."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


# Short strings over a few letters are often close; longer ones reach rapidfuzz's multi-word paths (> 64).
SMALL_STRINGS = st.one_of(st.text(alphabet="abc", max_size=12), st.text(max_size=12))
LONGER_STRINGS = st.text(alphabet="ab ", min_size=50, max_size=150)


@FAST
@given(a=SMALL_STRINGS, b=SMALL_STRINGS, limit=st.integers(0, 14))
def test_edit_distance_is_levenshtein_and_a_limit_caps_it_at_limit_plus_one(a, b, limit):
    distance = levenshtein(a, b)
    assert edit_distance(a, b) == edit_distance(b, a) == distance
    assert edit_distance(a, b, limit=limit) == min(distance, limit + 1)


@QUICK
@given(data=st.data(), a=LONGER_STRINGS)
def test_edit_distance_with_a_limit_on_longer_strings(data, a):
    b = data.draw(st.one_of(LONGER_STRINGS, edits(a, 0, len(a))))
    distance = levenshtein(a, b)
    limit = data.draw(st.integers(0, distance + 3))
    assert edit_distance(a, b) == distance
    assert edit_distance(a, b, limit=limit) == min(distance, limit + 1)


@FAST
@given(data=st.data(), case=quoted())
def test_a_short_quote_is_placed_on_the_nearest_text_there_is(data, case):
    """In a text shorter than the search window, a fuzzy placement is the least distance over every substring,
    and an orphan means no substring is within the bound."""
    text, start, end = case
    old = anchor_at(text, start, end)
    new_text = data.draw(edits(text, start, end))
    placement = reanchor(old, text, new_text)
    assume(placement.method != "exact" and len(new_text) <= EXACT_WINDOW_CHARS)
    nearest = min(
        (
            Levenshtein.distance(old.exact, new_text[i:j])
            for i in range(len(new_text))
            for j in range(i + 1, len(new_text) + 1)
        ),
        default=None,  # an empty text has nothing to place the quote on
    )
    if placement.method == "fuzzy":
        assert placement.distance == nearest
    else:
        assert nearest is None or nearest > fuzzy_bound(old.exact)


def exact_rule(text: str, quote: str, prefix: str, suffix: str, expected: int) -> int | None:
    """The exact step's rule as first written: every occurrence, ranked by context, then nearness, then order."""
    candidates, i = [], text.find(quote)
    while i != -1:
        context = int(text[:i].endswith(prefix)) + int(text[i + len(quote) :].startswith(suffix))
        if context or abs(i - expected) <= EXACT_WINDOW_CHARS:
            candidates.append((-context, abs(i - expected), i))
        i = text.find(quote, i + 1)
    return min(candidates)[2] if candidates else None


AB = st.text(alphabet="ab", max_size=4)


@FAST
@given(
    data=st.data(),
    text=st.one_of(st.text(alphabet="ab", max_size=40), st.text(alphabet="ab", min_size=300, max_size=700)),
    quote=st.text(alphabet="ab", min_size=1, max_size=4),
    prefix=AB,
    suffix=AB,
)
def test_the_exact_step_keeps_its_rule(data, text, quote, prefix, suffix):
    expected = data.draw(st.integers(0, len(text)))
    assert _exact_match(text, text[::-1], quote, prefix, suffix, expected) == exact_rule(
        text, quote, prefix, suffix, expected
    )


@FAST
@given(
    text=st.text(alphabet="ab", max_size=60), quote=st.text(alphabet="ab", min_size=1, max_size=4), prefix=AB, suffix=AB
)
def test_anchor_from_selectors_without_positions_needs_exactly_one_occurrence_in_its_context(
    text, quote, prefix, suffix
):
    matches = [
        i
        for i in range(len(text))
        if text.startswith(quote, i) and text[:i].endswith(prefix) and text[i + len(quote) :].startswith(suffix)
    ]
    try:
        anchor = anchor_from_selectors(text, quote, prefix, suffix)
    except AnchorError:
        assert len(matches) != 1
    else:
        assert [anchor.start] == matches
        assert anchor.exact == quote
