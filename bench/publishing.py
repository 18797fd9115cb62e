"""Benchmark: end-to-end publish latency and notification throughput through Redis and one real worker.

Run: .venv/bin/python bench/publishing.py [--publishes 20] [--notifications 1000] [--workers 1]
(--workers: how many worker processes consume the queue, one prefork child each; bench/scale_out.sh compares.)
Needs PostgreSQL and Redis on 127.0.0.1 (as `make test` starts them). Uses its own database
(BENCH_DATABASE_URL, by default editorial_bench; dropped and recreated), a Redis database of its own
(BENCH_REDIS_URL, by default db 12) and a queue of its own. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/editorial_bench")
BROKER_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
QUEUE = f"editorial-bench-{os.getpid()}"


def wait_for(predicate, timeout: float, step: float = 0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    raise TimeoutError


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--notifications", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_QUEUE": QUEUE,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EMAIL_URL": "memorymail://",
    }
    os.environ.update(env)
    import django
    import psycopg

    server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from articles.models import PublishedVersion
    from editorial.models import Notification, OutboxMessage
    from editorial.outbox import enqueue
    from editorial.services import publishing
    from tests.factories import make_user, reviewed_article

    call_command("migrate", verbosity=0)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-n",
                f"bench{n}@%h",
                "-P",
                "prefork",
                "-c",
                "1",
                "-l",
                "WARNING",
                "-Q",
                QUEUE,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for n in range(args.workers)
    ]
    try:
        author = make_user("author", username="bench-author")
        editor = make_user("editor", username="bench-editor", email="editor@example.org")
        board = make_user("board", username="bench-board")
        articles = [
            reviewed_article(author, editor, [board], state="approved", title=f"Bench question {i}?")
            for i in range(args.publishes)
        ]
        wait_for(lambda: not OutboxMessage.objects.filter(status="pending").exists(), 60)
        time.sleep(2)  # let the set-up's notifications drain
        latencies = []
        for article in articles:
            started = time.perf_counter()
            request = publishing.request_publication(article, actor=editor)
            wait_for(lambda r=request: PublishedVersion.objects.filter(request=r).exists(), 30)
            latencies.append(time.perf_counter() - started)

        before = Notification.objects.count()
        started = time.perf_counter()
        with transaction.atomic():
            for i in range(args.notifications):
                enqueue(
                    "notify",
                    {
                        "kind": "published",
                        "event_key": f"bench:{i}",
                        "recipient_ids": [editor.pk],
                        "subject": f"Bench {i}",
                        "body": "Benchmark notification.",
                    },
                    dedupe_key=f"bench:{i}",
                )
        committed = time.perf_counter()
        wait_for(lambda: Notification.objects.count() - before >= args.notifications, 600, step=0.05)
        wait_for(
            lambda: not Notification.objects.filter(emailed_at__isnull=True, recipient=editor).exists(), 600, step=0.05
        )
        done = time.perf_counter()
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(30)
        import redis

        redis.Redis.from_url(BROKER_URL).delete(QUEUE)

    latencies_ms = sorted(1000 * x for x in latencies) or [0.0]
    print(
        json.dumps(
            {
                "workers": args.workers,
                "publishes": len(latencies),
                "publish_latency_ms_p50": round(statistics.median(latencies_ms), 1),
                "publish_latency_ms_p95": round(latencies_ms[int(0.95 * (len(latencies_ms) - 1))], 1),
                "publish_latency_ms_max": round(latencies_ms[-1], 1),
                "notifications": args.notifications,
                "enqueue_and_relay_seconds": round(committed - started, 2),
                "notifications_delivered_and_emailed_seconds": round(done - started, 2),
                "notifications_per_second": round(args.notifications / (done - started), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
