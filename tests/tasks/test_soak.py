"""A bounded soak: clients doing mixed workflow operations at once, through the API and the public pages, for a
fixed time against PostgreSQL, Redis and a real worker process. It ends with no 500, and with the invariants of
the fault tests: one version per publication request, one inbox entry and one email per event and recipient,
every outbox message done, an intact audit chain.

CI runs it briefly (SOAK_SECONDS=6, SOAK_CLIENTS=4); bench/faults.py runs it longer and records the figures. The
sweeper's timeout is 5 s here (60 by default): a message handed over and not done is sent again within the run,
and the report counts them.
"""

from __future__ import annotations

import collections
import json
import os
import random
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import Article, PublishedVersion, PublishRequest, PublishRequestStatus
from editorial.models import EmailMode, Notification, OutboxMessage, OutboxStatus
from editorial.outbox import relay_pending
from tests.factories import BODY, PASSWORD, REFERENCES, make_user

from .conftest import WorkerProcess, wait_for
from .test_faults import _assert_invariants, _emails_in

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

SECONDS = float(os.environ.get("SOAK_SECONDS", "6"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "4"))
BOARD = ("board1", "board2", "board3")


class Soak:
    """The shared pool of articles and the tally of (operation, status).

    Each client takes an article of its own through the whole cycle (create … publish, with one board member),
    and now and then acts on a random article of the pool instead: deciding, publishing, revising, withdrawing
    or reading it, often at the same moment as the client that owns it.
    """

    def __init__(self, users: dict) -> None:
        self.users = users
        self.articles: list[dict] = []
        self.lock = threading.Lock()
        self.tally: collections.Counter = collections.Counter()
        self.errors: list[str] = []

    def run_client(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        actions = Actions(APIClient(), Client(), {name: _token(user) for name, user in self.users.items()}, rng)
        mine, member, step, refused = None, None, 0, 0
        try:
            while time.monotonic() < until:
                if mine is None or rng.random() < 0.7:
                    if mine is None:
                        operation = "create"
                        mine, status = actions.create()
                        member, step, refused = rng.choice(BOARD), 0, 0
                        if mine is not None:
                            with self.lock:
                                self.articles.append(mine)
                    else:
                        operation = CYCLE[step]
                        status = actions.run(operation, mine, member)
                        if status in (200, 201, 202):
                            step, refused = step + 1, 0
                        else:
                            refused += 1  # a 409 while another client holds the article: try again, twice
                        if step == len(CYCLE) or status not in (200, 201, 202, 409) or refused > 2:
                            mine = None  # done, or taken elsewhere by another client: start a new one
                else:
                    with self.lock:
                        article = rng.choice(self.articles)
                    operation = rng.choices(list(INTERFERENCE), weights=list(INTERFERENCE.values()))[0]
                    status = actions.run(operation, article, rng.choice(BOARD))
                with self.lock:
                    self.tally[(operation, status)] += 1
        except Exception as error:  # a crash of a client: reported, never silent
            self.errors.append(f"client {seed}: {type(error).__name__}: {error}")
        finally:
            connection.close()


def _token(user) -> str:
    from knox.models import AuthToken

    return AuthToken.objects.create(user)[1]


CYCLE = ("submit", "assign", "declare", "start_review", "approve", "publish", "read_public")
INTERFERENCE = {"approve": 3, "request_changes": 1, "publish": 3, "revise": 1, "withdraw": 0.3, "read_public": 6}


class Actions:
    """One client's requests: the API with each user's token, the public pages as an anonymous reader."""

    def __init__(self, api: APIClient, page: Client, tokens: dict, rng: random.Random) -> None:
        self.api, self.page, self.tokens, self.rng = api, page, tokens, rng

    def post(self, who: str, path: str, data: dict) -> int:
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[who]}")
        return self.api.post(path, data, format="json").status_code

    def create(self) -> tuple[dict | None, int]:
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens['author']}")
        body = {"title": f"Soak {self.rng.randrange(10**9)}", "body": BODY, "references": REFERENCES}
        response = self.api.post("/api/v1/articles/", body, format="json")
        if response.status_code != 201:
            return None, response.status_code
        return {"id": response.json()["id"], "slug": response.json()["slug"]}, 201

    def run(self, operation: str, article: dict, member: str) -> int:
        a = f"/api/v1/articles/{article['id']}"
        if operation == "submit":
            return self.post("author", f"{a}/transitions/submit/", {})
        if operation == "assign":
            return self.post("editor", f"{a}/assignments/", {"reviewer": member})
        if operation == "declare":
            return self.post(member, f"{a}/conflicts/", {"has_conflict": False, "statement": ""})
        if operation == "start_review":
            return self.post("editor", f"{a}/transitions/start_review/", {})
        if operation in ("approve", "request_changes"):
            self.api.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[member]}")
            detail = self.api.get(f"{a}/")
            if detail.status_code != 200:
                return detail.status_code
            signed = {"password": PASSWORD, "comment": "Checked.", "revision": detail.json()["current_revision"]}
            return self.post(member, f"{a}/transitions/{operation}/", signed)
        if operation == "publish":
            return self.post("editor", f"{a}/publish/", {})
        if operation == "revise":
            self.post("author", f"{a}/transitions/revise/", {})
            self.api.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens['author']}")
            body = BODY + f"\n\nUpdated note {self.rng.randrange(1000)}."
            return self.api.patch(f"{a}/", {"body": body}, format="json").status_code
        if operation == "withdraw":
            return self.post("author", f"{a}/transitions/withdraw/", {"comment": "No longer needed."})
        if operation == "read_public":
            return self.page.get(f"/articles/{article['slug']}/").status_code
        raise ValueError(operation)


def test_clients_at_once_for_a_while_end_with_no_500_and_nothing_lost_or_doubled(broker, tmp_path, settings):
    settings.EDITORIAL_OUTBOX_STALE_SECONDS = 5
    users = {"author": make_user("author", username="author", email="author@example.org")}
    users["editor"] = make_user("editor", username="editor", email="editor@example.org")
    for name in BOARD:
        users[name] = make_user("board", username=name)
        users[name].email = f"{name}@example.org"
        users[name].save()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    queue = broker.conf.task_default_queue
    worker = WorkerProcess(
        broker.conf.broker_url,
        queue,
        EDITORIAL_TEST_MAIL_DIR=str(mail_dir),
        EMAIL_TIMEOUT="5",
        EDITORIAL_OUTBOX_STALE_SECONDS="5",
    )
    worker.start()
    soak = Soak(users)
    started = time.monotonic()
    try:
        worker.wait_ready()
        until = time.monotonic() + SECONDS
        clients = [threading.Thread(target=soak.run_client, args=(seed, until)) for seed in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(SECONDS + 120)

        def drained() -> bool:
            relay_pending()  # what beat does every few seconds
            return not OutboxMessage.objects.exclude(status=OutboxStatus.DONE).exists() and not (
                PublishRequest.objects.filter(status=PublishRequestStatus.QUEUED).exists()
            )

        wait_for(drained, 120, interval=1, message="the outbox and the publication queue to drain")
        wait_for(
            lambda: not Notification.objects.filter(
                email_mode=EmailMode.IMMEDIATE, emailed_at__isnull=True, email_error=""
            )
            .exclude(recipient__email="")
            .exists(),
            60,
            message="every email sent",
        )
    finally:
        output = worker.stop()
    elapsed = time.monotonic() - started
    statuses = collections.Counter(status for (_, status) in soak.tally.elements())
    report = {
        "clients": CLIENTS,
        "seconds": SECONDS,
        "operations": sum(soak.tally.values()),
        "by_status": {str(k): v for k, v in sorted(statuses.items(), key=str)},
        "by_operation": {
            op: {str(s): n for (o, s), n in sorted(soak.tally.items(), key=str) if o == op}
            for op in ("create", *CYCLE, *INTERFERENCE)
        },
        "articles": Article.objects.count(),
        "versions": PublishedVersion.objects.count(),
        "notifications": Notification.objects.count(),
        "emails": len(_emails_in(mail_dir)),
        "outbox_messages": OutboxMessage.objects.count(),
        "sent_again_by_the_sweeper": OutboxMessage.objects.filter(attempts__gt=0).count(),
        "elapsed_with_drain": round(elapsed, 1),
        "at": timezone.now().isoformat(),
    }
    print("SOAK " + json.dumps(report))
    if os.environ.get("SOAK_REPORT"):
        with open(os.environ["SOAK_REPORT"], "a") as out:
            out.write(json.dumps(report) + "\n")
    assert soak.errors == []
    assert not [key for key in soak.tally if isinstance(key[1], int) and key[1] >= 500], soak.tally
    # Enough happened for the invariants to mean something: articles went all the way to a version.
    assert report["operations"] >= 10 * CLIENTS and report["versions"] >= 1, report
    # One version per request that ran; the version numbers of an article are 1..n without gaps.
    assert PublishedVersion.objects.count() == PublishRequest.objects.filter(status="done").count()
    for article_id, numbers in _version_numbers().items():
        assert numbers == list(range(1, len(numbers) + 1)), (article_id, numbers)
    # One email per inbox entry with an address, and no inbox entry twice.
    emailed = Notification.objects.filter(email_mode=EmailMode.IMMEDIATE).exclude(recipient__email="")
    assert report["emails"] == emailed.count(), (report, output[-2000:])
    _assert_invariants()


def _version_numbers() -> dict[int, list[int]]:
    numbers: dict[int, list[int]] = collections.defaultdict(list)
    for article_id, number in PublishedVersion.objects.order_by("article_id", "number").values_list(
        "article_id", "number"
    ):
        numbers[article_id].append(number)
    return numbers
