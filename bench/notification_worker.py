"""Benchmark: the worker's side of notifications in-process, no broker: each notify message's task body
(`run_message`) in turn, with queries counted and, optionally, a profile.

Run: .venv/bin/python bench/notification_worker.py [--notifications 2000] [--profile 30]
Uses BENCH_DATABASE_URL (PostgreSQL, by default editorial_bench_worker; dropped and recreated) and the
in-memory mail backend. Prints one JSON line (and, with --profile N, the N costliest calls first).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/editorial_bench_worker")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, help="print this many of the costliest calls")
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        DJANGO_SETTINGS_MODULE="config.settings",
        EMAIL_URL="memorymail://",
        CELERY_BROKER_URL="",
    )
    import django
    import psycopg

    server, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection

    from editorial.models import Notification, OutboxMessage
    from editorial.outbox import run_message
    from tests.factories import make_user

    call_command("migrate", verbosity=0)
    editor = make_user("editor", username="bench-editor", email="editor@example.org")
    messages = [
        OutboxMessage(
            id=uuid.uuid4(),
            kind="notify",
            dedupe_key=f"bench:{n}",
            payload={
                "kind": "published",
                "event_key": f"bench:{n}",
                "recipient_ids": [editor.pk],
                "subject": f"Bench {n}",
                "body": "Benchmark notification.",
            },
        )
        for n in range(args.notifications)
    ]
    OutboxMessage.objects.bulk_create(messages)
    mail.outbox = []
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    profile = cProfile.Profile()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        if args.profile:
            profile.enable()
        for message in messages:  # as one worker would, a task per message
            run_message(str(message.pk))
        profile.disable()
        elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "notifications": args.notifications,
                "seconds": round(elapsed, 2),
                "notifications_per_second": round(args.notifications / elapsed, 1),
                "queries": queries,
                "queries_per_notification": round(queries / args.notifications, 2),
                "emails": len(mail.outbox),
                "emailed_once": Notification.objects.filter(emailed_at__isnull=False, email_attempts=1).count(),
            }
        )
    )
    if args.profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
