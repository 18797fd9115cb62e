"""GET /api/v1/audit/events/ (JSON and CSV) and GET /api/v1/articles/{id}/history/ (API.md, Audit)."""

import csv
import datetime
import io
import json

import pytest
from django.utils.dateparse import parse_datetime

from editorial.models import AuditEvent
from tests.audit.builders import full_review, withdrawn_draft
from tests.factories import make_article

pytestmark = pytest.mark.django_db

EVENTS_URL = "/api/v1/audit/events/"
API_FIELDS = ["seq", "at", "actor", "action", "object_type", "object_id", "article", "before", "after", "reason",
              "hash", "prev_hash"]  # fmt: skip
# API.md allows added fields; the printed-name snapshot (21 CFR 11.50) is the only one added.
ADDED_FIELDS = ["actor_name"]


@pytest.fixture
def trail(author, other_author, editor, board, board2):
    """Article A through a full review (17 events) and article B, by another author, withdrawn (2)."""
    a = full_review(author, editor, board, board2)
    b = withdrawn_draft(other_author, reason="Duplicate of another article", title="Is aspirin safe every day?")
    return {"a": a, "b": b, "events": list(AuditEvent.objects.order_by("seq"))}


def get_events(api, **params):
    response = api.get(EVENTS_URL, {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return body["results"]


def seqs(rows):
    return [row["seq"] for row in rows]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


# -- JSON -----------------------------------------------------------------------------------------


def test_lists_every_event_in_seq_order_with_the_fields_of_api_md(trail, api, auditor):
    rows = get_events(api.as_user(auditor))
    assert seqs(rows) == [e.seq for e in trail["events"]] == list(range(1, 20))
    for row, event in zip(rows, trail["events"], strict=True):
        assert list(row) == [*API_FIELDS[:3], *ADDED_FIELDS, *API_FIELDS[3:]]
        assert row["actor"] == (event.actor.username if event.actor_id else None)
        assert row["actor_name"] == event.actor_name
        assert row["action"] == event.action
        assert (row["object_type"], row["object_id"]) == (event.object_type, event.object_id)
        assert row["article"] == event.article_id
        assert (row["before"], row["after"], row["reason"]) == (event.before, event.after, event.reason)
        assert (row["hash"], row["prev_hash"]) == (event.hash, event.prev_hash)
        assert parse_datetime(row["at"]) == event.at
        assert parse_datetime(row["at"]).utcoffset() == datetime.timedelta(0)


def test_an_editor_may_read_the_log(trail, api, editor):
    assert len(get_events(api.as_user(editor))) == len(trail["events"])


def test_the_list_is_paginated_in_seq_order(trail, api, auditor):
    api.as_user(auditor)
    first = api.get(EVENTS_URL, {"page_size": 5}).json()
    assert first["count"] == len(trail["events"])
    assert seqs(first["results"]) == [1, 2, 3, 4, 5]
    second = api.get(first["next"]).json()
    assert seqs(second["results"]) == [6, 7, 8, 9, 10]


def test_filter_by_article(trail, api, auditor):
    a, b = trail["a"], trail["b"]
    rows = get_events(api.as_user(auditor), article=a.pk)
    assert seqs(rows) == [e.seq for e in trail["events"] if e.article_id == a.pk]
    assert {row["action"] for row in rows} >= {
        "article.create", "revision.create", "article.submit", "assignment.create", "conflict.declare",
        "article.start_review", "decision.signature_failed", "decision.request_changes", "article.request_changes",
        "article.revise", "decision.approve", "article.approve",
    }  # fmt: skip
    assert [row["action"] for row in get_events(api, article=b.pk)] == ["article.create", "article.withdraw"]
    assert get_events(api, article=999999) == []


def test_filter_by_actor(trail, api, auditor, board, other_author):
    rows = get_events(api.as_user(auditor), actor=board.username)
    assert rows and {row["actor"] for row in rows} == {board.username}
    assert seqs(rows) == [e.seq for e in trail["events"] if e.actor_id == board.pk]
    assert [row["action"] for row in get_events(api, actor=other_author.username)] == [
        "article.create", "article.withdraw",
    ]  # fmt: skip
    assert get_events(api, actor="nobody") == []


def test_filter_by_comma_separated_actions(trail, api, auditor):
    rows = get_events(api.as_user(auditor), action="article.submit,decision.approve,article.withdraw")
    wanted = {"article.submit", "decision.approve", "article.withdraw"}
    expected = [e.seq for e in trail["events"] if e.action in wanted]
    assert seqs(rows) == expected
    assert len(expected) == 4  # two submissions, one approval, one withdrawal
    assert [row["action"] for row in get_events(api, action="article.withdraw")] == ["article.withdraw"]
    assert get_events(api, action="article.nothing") == []


def test_filters_combine(trail, api, auditor, author):
    rows = get_events(api.as_user(auditor), article=trail["a"].pk, actor=author.username, action="article.submit")
    assert [row["action"] for row in rows] == ["article.submit", "article.submit"]


def test_since_and_until_are_inclusive(trail, api, auditor):
    events = trail["events"]
    pivot = events[7]
    api.as_user(auditor)
    at = pivot.at.isoformat()
    since = seqs(get_events(api, since=at))
    until = seqs(get_events(api, until=at))
    assert pivot.seq in since and pivot.seq in until
    assert since == [e.seq for e in events if e.at >= pivot.at]
    assert until == [e.seq for e in events if e.at <= pivot.at]
    assert seqs(get_events(api, since=at, until=at)) == [e.seq for e in events if e.at == pivot.at]
    # The same moment written with Z and in another zone.
    assert seqs(get_events(api, since=pivot.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))) == since
    plus_two = pivot.at.astimezone(datetime.timezone(datetime.timedelta(hours=2))).isoformat()
    assert seqs(get_events(api, until=plus_two)) == until


def test_since_and_until_accept_dates(trail, api, auditor):
    api.as_user(auditor)
    first_day, last_day = trail["events"][0].at.date(), trail["events"][-1].at.date()
    everything = [e.seq for e in trail["events"]]
    # `until` a date includes that whole day (UTC), `since` a date starts at its midnight.
    assert seqs(get_events(api, since=first_day.isoformat(), until=last_day.isoformat())) == everything
    assert get_events(api, until=(first_day - datetime.timedelta(days=1)).isoformat()) == []
    assert get_events(api, since=(last_day + datetime.timedelta(days=1)).isoformat()) == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2025-13-45"}, "since"),  # well-formed, impossible: once a 500
        ({"until": "2025-02-30T10:00:00Z"}, "until"),
        ({"until": "not a date"}, "until"),
        ({"since": "2025-01-01T10:00:00"}, "since"),  # no time zone
        ({"article": "abc"}, "article"),
    ],
)
def test_bad_filters_are_400(trail, api, auditor, params, field):
    response = api.as_user(auditor).get(EVENTS_URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    assert field in body["errors"]


@pytest.mark.parametrize("role", ["author", "board", "board2"])
def test_403_for_authors_and_board_members(trail, api, request, role):
    api.as_user(request.getfixturevalue(role))
    for params in ({}, {"format": "csv"}, {"article": trail["a"].pk}):
        response = api.get(EVENTS_URL, params)
        assert response.status_code == 403
        assert b"hash" not in response.content


def test_401_anonymous(trail, api):
    assert api.get(EVENTS_URL).status_code == 401
    assert api.get(EVENTS_URL, {"format": "csv"}).status_code == 401


# -- CSV ------------------------------------------------------------------------------------------


def test_csv_has_a_header_and_one_row_per_event_with_the_json_values(trail, api, auditor):
    api.as_user(auditor)
    rows = read_csv(api.get(EVENTS_URL, {"format": "csv"}))
    header, body = rows[0], rows[1:]
    assert set(API_FIELDS) <= set(header)
    assert set(header) - set(API_FIELDS) == set(ADDED_FIELDS)
    assert len(body) == len(trail["events"])
    for line, item in zip(body, get_events(api), strict=True):
        cells = dict(zip(header, line, strict=True))
        assert int(cells["seq"]) == item["seq"]
        assert cells["at"] == item["at"]
        assert cells["actor"] == (item["actor"] or "")
        assert cells["article"] == ("" if item["article"] is None else str(item["article"]))
        for field in ("action", "object_type", "object_id", "reason", "hash", "prev_hash", "actor_name"):
            assert cells[field] == item[field], field
        for field in ("before", "after"):
            assert (json.loads(cells[field]) if cells[field] else None) == item[field], field


def test_csv_applies_the_same_filters(trail, api, auditor, board):
    api.as_user(auditor)
    params = {"article": trail["a"].pk, "actor": board.username, "action": "decision.request_changes,conflict.declare"}
    rows = read_csv(api.get(EVENTS_URL, {**params, "format": "csv"}))
    header = rows[0]
    assert [int(dict(zip(header, r, strict=True))["seq"]) for r in rows[1:]] == seqs(get_events(api, **params))
    assert len(rows) == 1 + 2


def test_csv_with_no_events_is_only_the_header(trail, api, editor):
    rows = read_csv(api.as_user(editor).get(EVENTS_URL, {"format": "csv", "actor": "nobody"}))
    assert len(rows) == 1 and "seq" in rows[0]


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)"])
def test_csv_neutralises_formula_cells(db, api, author, auditor, payload):
    withdrawn_draft(author, reason=payload)
    api.as_user(auditor)
    json_row = get_events(api, action="article.withdraw")[0]
    assert json_row["reason"] == payload  # stored and served as typed
    rows = read_csv(api.get(EVENTS_URL, {"format": "csv", "action": "article.withdraw"}))
    cell = dict(zip(rows[0], rows[1], strict=True))["reason"]
    assert cell == "'" + payload
    assert cell[0] not in "=+-@"


def test_csv_neutralises_a_formula_in_the_printed_name(db, api, auditor):
    from tests.factories import make_user

    sneaky = make_user("author", username="sneaky", first_name="=cmd|' /C calc'!A0", last_name="")
    make_article(sneaky)
    rows = read_csv(api.as_user(auditor).get(EVENTS_URL, {"format": "csv", "actor": "sneaky"}))
    name = dict(zip(rows[0], rows[1], strict=True))["actor_name"]
    assert name.startswith("'=")


# -- history ----------------------------------------------------------------------------------------


def history(api, article_id):
    return api.get(f"/api/v1/articles/{article_id}/history/", {"page_size": 500})


@pytest.mark.parametrize("role", ["author", "editor", "auditor", "board", "board2"])
def test_history_lists_every_event_of_the_article(trail, api, request, role):
    a = trail["a"]
    response = history(api.as_user(request.getfixturevalue(role)), a.pk)
    assert response.status_code == 200
    rows = response.json()["results"]
    expected = [e for e in trail["events"] if e.article_id == a.pk]
    assert seqs(rows) == [e.seq for e in expected] and len(rows) == 17
    assert [row["action"] for row in rows] == [
        "article.create", "revision.create", "article.submit",
        "assignment.create", "conflict.declare", "assignment.create", "conflict.declare",
        "article.start_review", "decision.signature_failed", "decision.request_changes", "article.request_changes",
        "revision.create", "article.revise", "article.submit", "article.start_review",
        "decision.approve", "article.approve",
    ]  # fmt: skip
    assert {row["article"] for row in rows} == {a.pk}
    assert set(API_FIELDS) <= set(rows[0])
    kinds = {row["object_type"] for row in rows}
    assert kinds >= {"articles.article", "articles.revision", "reviewers.assignment", "reviewers.conflictdeclaration",
                     "reviewers.decision"}  # fmt: skip


def test_history_of_another_article_holds_only_its_events(trail, api, other_author):
    rows = history(api.as_user(other_author), trail["b"].pk).json()["results"]
    assert [row["action"] for row in rows] == ["article.create", "article.withdraw"]
    assert rows[1]["reason"] == "Duplicate of another article"


def test_history_is_404_for_a_user_who_cannot_see_the_article(trail, api, other_author, author):
    response = history(api.as_user(other_author), trail["a"].pk)
    assert response.status_code == 404
    assert b"hash" not in response.content
    assert history(api.as_user(author), trail["b"].pk).status_code == 404
    assert history(api, 999999).status_code == 404


def test_history_of_an_unsubmitted_draft_is_404_for_board_members(db, api, author, board):
    draft = make_article(author)
    assert history(api.as_user(board), draft.pk).status_code == 404
    assert history(api.as_user(author), draft.pk).status_code == 200


def test_history_is_401_anonymous(trail, api):
    assert history(api, trail["a"].pk).status_code == 401
