"""Anchoring through the API: the selectors a reviewer sends are checked against the revision's plain text."""

import pytest

from editorial.models import AuditEvent
from reviewers.models import Annotation
from tests.annotations.helpers import ann_url, created, snapshot, target, text_of, url

pytestmark = pytest.mark.django_db

QUOTE = "Statins lower LDL cholesterol"


def post(api, article, target_, **extra):
    payload = {"revision": 1, "kind": "comment", "body": "Which statins?", "target": target_, **extra}
    return api.post(url(article, "annotations/"), payload, format="json")


def test_selectors_round_trip(api, article, board):
    text = api.as_user(board).get(url(article, "revisions/1/")).json()["text"]
    assert text == text_of(article, 1)
    start = text.index(QUOTE)
    sent = [
        {
            "type": "TextQuoteSelector",
            "exact": QUOTE,
            "prefix": text[max(0, start - 32) : start],
            "suffix": text[start + len(QUOTE) : start + len(QUOTE) + 32],
        },
        {"type": "TextPositionSelector", "start": start, "end": start + len(QUOTE)},
    ]
    response = post(api, article, {"selector": sent})
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["target"]["selector"] == sent
    assert (made["revision"], made["created_on_revision"]) == (1, 1)
    assert (made["status"], made["anchoring"]) == ("open", "original")

    for path in (ann_url(article, made["id"]), ann_url(article, made["id"]) + "?revision=1"):
        got = api.get(path).json()
        assert got["target"]["selector"] == sent
        assert got["target"]["source"] == f"/api/v1/articles/{article.pk}/revisions/1/"
    [listed] = api.get(url(article, "annotations/?revision=1")).json()["results"]
    assert listed["target"]["selector"] == sent
    assert text[sent[1]["start"] : sent[1]["end"]] == QUOTE


def test_quote_only_selector_is_located(api, article, board):
    text = text_of(article)
    response = post(api.as_user(board), article, target(text, QUOTE, position=False))
    assert response.status_code == 201, response.json()
    position = response.json()["target"]["selector"][1]
    assert (position["start"], position["end"]) == (text.index(QUOTE), text.index(QUOTE) + len(QUOTE))


def test_prefix_disambiguates_a_repeated_quote(api, article, board):
    text = text_of(article)
    assert text.count("From the ") == 2
    second = text.index("From the ", text.index("From the ") + 1)
    selectors = {"selector": [{"type": "TextQuoteSelector", "exact": "From the ", "suffix": "Research"}]}
    response = post(api.as_user(board), article, selectors)
    assert response.status_code == 201, response.json()
    assert response.json()["target"]["selector"][1]["start"] == second


def _refused(api, article, target_, status=400, code=None, **extra):
    before = snapshot()
    response = post(api, article, target_, **extra)
    assert response.status_code == status, response.json()
    if code:
        assert response.json()["code"] == code, response.json()
    assert snapshot() == before
    assert not Annotation.objects.exists()
    assert not AuditEvent.objects.filter(action="annotation.create").exists()
    return response.json()


def test_quote_not_at_the_given_position(api, article, board):
    api.as_user(board)
    text = text_of(article)
    good = target(text, QUOTE)
    good["selector"][1]["start"] += 1
    good["selector"][1]["end"] += 1
    body = _refused(api, article, good, code="quote_not_found")
    assert "target" in body["errors"]


def test_quote_that_is_not_in_the_text(api, article, board):
    missing = {"selector": [{"type": "TextQuoteSelector", "exact": "Statins cure everything"}]}
    _refused(api.as_user(board), article, missing, code="quote_not_found")


def test_ambiguous_quote_only_selector(api, article, board):
    text = text_of(article)
    assert text.count("From the ") == 2
    _refused(api.as_user(board), article, target(text, "From the ", position=False), code="quote_not_found")


def test_prefix_or_suffix_that_do_not_match(api, article, board):
    api.as_user(board)
    text = text_of(article)
    bad_prefix = target(text, QUOTE)
    bad_prefix["selector"][0]["prefix"] = "Not what precedes "
    _refused(api, article, bad_prefix, code="quote_not_found")
    bad_suffix = target(text, QUOTE)
    bad_suffix["selector"][0]["suffix"] = " raise"
    _refused(api, article, bad_suffix, code="quote_not_found")


@pytest.mark.parametrize(
    "start,end",
    [(0, 10_000), (10_000, 10_010), (5, 5), (9, 4), (-1, 4)],
    ids=["end-past-text", "start-past-text", "empty", "reversed", "negative"],
)
def test_positions_out_of_range(api, article, board, start, end):
    text = text_of(article)
    if 0 <= start < end <= len(text):
        pytest.fail("the case is meant to be out of range")
    exact = text[start:end] if 0 <= start < end else "Statins"
    selectors = {
        "selector": [
            {"type": "TextQuoteSelector", "exact": exact or "x"},
            {"type": "TextPositionSelector", "start": start, "end": end},
        ]
    }
    _refused(api.as_user(board), article, selectors)


def test_quote_at_the_very_end_of_the_text_is_in_range(api, article, board):
    text = text_of(article)
    end = len(text)
    selectors = {
        "selector": [
            {"type": "TextQuoteSelector", "exact": text[end - 4 :]},
            {"type": "TextPositionSelector", "start": end - 4, "end": end},
        ]
    }
    response = post(api.as_user(board), article, selectors)
    assert response.status_code == 201, response.json()
    assert response.json()["target"]["selector"][1] == {"type": "TextPositionSelector", "start": end - 4, "end": end}


@pytest.mark.parametrize(
    "target_",
    [
        {"selector": [{"type": "TextPositionSelector", "start": 0, "end": 4}]},
        {"selector": []},
        {"selector": [{"type": "TextQuoteSelector"}]},
        {"selector": [{"type": "TextQuoteSelector", "exact": ""}]},
        {"selector": [{"type": "CssSelector", "value": "p"}]},
        {"selector": [{"type": "TextQuoteSelector", "exact": "Statins"}, {"type": "TextQuoteSelector", "exact": "L"}]},
        {"selector": [{"type": "TextQuoteSelector", "exact": "Statins"}, {"type": "TextPositionSelector", "start": 0}]},
        {"selector": "TextQuoteSelector"},
        {},
        "Statins",
        None,
    ],
    ids=[
        "position-only",
        "empty",
        "no-exact",
        "blank-exact",
        "unknown-type",
        "two-quotes",
        "no-end",
        "string",
        "no-selector",
        "target-string",
        "target-null",
    ],
)
def test_malformed_target(api, article, board, target_):
    _refused(api.as_user(board), article, target_)


def test_target_missing(api, article, board):
    api.as_user(board)
    before = snapshot()
    response = api.post(url(article, "annotations/"), {"revision": 1, "kind": "comment", "body": "x"}, format="json")
    assert response.status_code == 400
    assert snapshot() == before


def test_unknown_kind_and_revision(api, article, board):
    api.as_user(board)
    text = text_of(article)
    _refused(api, article, target(text, QUOTE), kind="praise")
    _refused(api, article, target(text, QUOTE), revision=7)


def test_only_the_current_revision_can_be_annotated(api, build, board, author):
    article = build("changes_requested")
    api.as_user(author).patch(url(article), {"body": "Intro.\n\n" + article.current_revision.body}, format="json")
    api.as_user(board)
    _refused(api, article, target(text_of(article, 1), QUOTE), status=409, code="stale_revision")
    assert created(api, article, QUOTE, revision=2)["created_on_revision"] == 2


def test_positions_count_code_points(api, build, board, author):
    """Astral characters (emoji, 2 UTF-16 units) count as one position, as in the revision's `text`."""
    article = build("changes_requested")
    body = "💊💊 Ré­sumé: 𝔖tatins lower LDL cholesterol [1] [2]."
    assert api.as_user(author).patch(url(article), {"body": body}, format="json").status_code == 200
    text = api.get(url(article, "revisions/2/")).json()["text"]
    start = text.index("lower LDL")
    assert len(text[:start].encode("utf-16-le")) // 2 == start + 3  # 3 astral characters precede it
    made = created(api.as_user(board), article, "lower LDL")
    assert made["target"]["selector"][1] == {"type": "TextPositionSelector", "start": start, "end": start + 9}
    shifted = target(text, "lower LDL")
    shifted["selector"][1]["start"] += 2  # where a UTF-16 client would put it
    shifted["selector"][1]["end"] += 2
    before = snapshot()
    response = post(api, article, shifted, revision=2)
    assert response.status_code == 400 and response.json()["code"] == "quote_not_found"
    assert snapshot() == before
