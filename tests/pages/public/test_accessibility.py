"""Markup a keyboard or screen-reader user relies on: landmarks, one h1 and no skipped heading levels,
a label for every control, the stepper's state in words."""

from __future__ import annotations

import itertools
import re

import pytest

from tests.factories import reviewed_article

from .helpers import page_url, tags_of

pytestmark = pytest.mark.django_db


def headings(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]


@pytest.fixture
def pages(client, approved_live, pending_live, author, editor, board, publish):
    deep = publish(
        reviewed_article(
            author,
            editor,
            [board],
            state="approved",
            body="# Overview\n\nText [1].\n\n### Deep\n\nMore [2].",
            plain_language_summary="Plain words.",
        )
    )
    paths = [page_url(approved_live), page_url(pending_live), page_url(deep), page_url(approved_live, 1)]
    paths += ["/articles/", "/editorial-policy/"]
    return {path: client.get(path).content.decode() for path in paths}


def test_one_h1_and_no_skipped_heading_levels(pages):
    for path, html in pages.items():
        levels = headings(html)
        assert levels[0] == 1 and levels.count(1) == 1, (path, levels)
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (path, levels)


def test_landmarks(pages):
    for path, html in pages.items():
        assert '<main id="main"' in html and 'class="skip-link" href="#main"' in html, path
        assert '<nav aria-label="Main">' in html and "<footer" in html, path
    article = pages[next(iter(pages))]
    assert '<aside class="article-aside" aria-label="About this article">' in article
    assert '<article class="public-article" aria-labelledby="article-title"' in article


def test_every_control_has_a_label(pages):
    for path, html in pages.items():
        parsed = tags_of(html)
        labelled = {attributes.get("for") for tag, attributes in parsed.tags if tag == "label"}
        for tag, attributes in parsed.tags:
            if tag in ("textarea", "select") or (tag == "input" and attributes.get("type") not in ("hidden", "radio")):
                assert attributes.get("id") in labelled, (path, tag, attributes)
        # Radios are wrapped in their label, inside a fieldset with a legend.
        assert html.count('type="radio"') == len(re.findall(r'<label><input type="radio"', html)), path


def test_stepper_speaks_the_status(pages):
    approved, pending = list(pages.values())[:2]
    assert "Review status of version 1: Approved." in approved
    assert 'Approved<span class="visually-hidden"> (current status)</span>' in approved
    assert "Review status of version 1: Under Review." in pending
    assert 'Approved<span class="visually-hidden"> (not yet)</span>' in pending
    assert '<p class="banner pending" role="note">' in pending
