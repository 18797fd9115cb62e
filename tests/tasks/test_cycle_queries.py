"""One workflow cycle through the API (create … publish), as ../shared/bench/editorial/queries.py runs it, in at
most 80 queries; each step pinned. As in production the requests commit and hand their work to the broker
(Redis, a queue of this test's own, no worker): the notifications and the publish task are the worker's
queries, not the request's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BODY, PASSWORD, REFERENCES, make_user

# Committed transactions, as in production: no test savepoints around each request's own transaction.
pytestmark = pytest.mark.django_db(transaction=True)

# Measured on SQLite; each bound is the measured count. Each includes the token with the user's permissions
# (1), BEGIN and COMMIT (2), and the audit append (2: the head, then the INSERT). On PostgreSQL an append is
# one statement when this process appended last (editorial.audit.record_event): 72 in all, 1 fewer a step, and
# one more when the process's first append finds another head than it expects (CYCLE_POSTGRESQL).
STEPS = {
    "create": 10,
    "submit": 10,  # the checks and the notice: two outbox rows in one INSERT (the checks run in the worker)
    "assign": 11,
    "declare": 8,
    "start_review": 9,
    "approve": 22,  # the reviewer rule before the password and again under the lock; two events
    "publish": 10,
}
CYCLE = 80
CYCLE_POSTGRESQL = 73
DUMP = __import__("os").environ.get("DUMP_QUERIES") == "1"


def test_a_workflow_cycle_takes_at_most_80_queries(broker, api, author, editor):
    board = make_user("board", username="board1")
    counts = {}

    def step(name, user, path, data, status=(200, 201, 202)):
        api.as_user(user)
        with CaptureQueriesContext(connection) as queries:
            response = api.post(path, data, format="json")
        assert response.status_code in status, (name, response.content)
        counts[name] = len(queries.captured_queries)
        if DUMP:
            print(f"\n== {name}")
            for q in queries.captured_queries:
                print("  ", q["sql"][:230])
        return response.json()

    article = step("create", author, "/api/v1/articles/", {"title": "Query count article", "body": BODY,
                                                           "references": REFERENCES, "topic": "lipids"})  # fmt: skip
    a = f"/api/v1/articles/{article['id']}"
    step("submit", author, f"{a}/transitions/submit/", {})
    step("assign", editor, f"{a}/assignments/", {"reviewer": "board1"})
    step("declare", board, f"{a}/conflicts/", {"has_conflict": False, "statement": ""})
    step("start_review", editor, f"{a}/transitions/start_review/", {})
    step("approve", board, f"{a}/transitions/approve/", {"password": PASSWORD, "comment": "ok", "revision": 1})
    step("publish", editor, f"{a}/publish/", {})
    print(counts, sum(counts.values()))
    assert sum(counts.values()) <= (CYCLE_POSTGRESQL if connection.vendor == "postgresql" else CYCLE), counts
    assert {name: count for name, count in counts.items() if count > STEPS[name]} == {}, counts
