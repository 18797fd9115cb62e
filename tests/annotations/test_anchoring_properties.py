"""Property-based tests of re-anchoring (reviewers/anchoring.py): whatever the edit, an annotation lands on
its exact quote, on text within the fuzzy bound of it, or nowhere (orphaned)."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from reviewers.anchoring import (
    CONTEXT_CHARS,
    AnchorError,
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
