"""Benchmark: appending to and verifying the audit chain, and peak memory of verification.

Run: .venv/bin/python bench/audit_chain.py [--events 20000]
Uses DATABASE_URL if set (e.g. PostgreSQL), else a throwaway SQLite file. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="events appended per transaction")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="editorial-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from articles.models import Article
    from editorial.audit import record_event, verify_chain
    from editorial.models import AuditEvent
    from tests.factories import make_article, make_user

    if connection.vendor == "postgresql":
        # A database of its own, never the one DATABASE_URL names, and named after it so that runs against
        # different databases do not share (and drop) one.
        from django.db import connections

        name = f"{connections['default'].settings_dict['NAME']}_bench"
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name}")
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = name
    call_command("migrate", verbosity=0)
    author = make_user("author", username=f"bench{time.time_ns()}")
    article = make_article(author)
    article = Article.objects.get(pk=article.pk)
    start_count = AuditEvent.objects.count()

    started = time.perf_counter()
    remaining = args.events
    while remaining > 0:
        with transaction.atomic():
            for _ in range(min(args.batch, remaining)):
                record_event(
                    "bench.event",
                    actor=author,
                    obj=article,
                    article_id=article.pk,
                    before={"n": remaining},
                    after={"n": remaining - 1},
                    reason="benchmark",
                )
                remaining -= 1
    append_seconds = time.perf_counter() - started

    started = time.perf_counter()
    result = verify_chain()
    verify_seconds = time.perf_counter() - started
    # A second run under tracemalloc for memory only: tracing slows Python several times over.
    tracemalloc.start()
    verify_chain()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        json.dumps(
            {
                "database": connection.vendor,
                "events": AuditEvent.objects.count() - start_count,
                "append_per_second": round(args.events / append_seconds),
                "verify_seconds": round(verify_seconds, 3),
                "verify_events_per_second": round(result.checked / verify_seconds),
                "verify_peak_mib": round(peak / 2**20, 1),
                "ok": result.ok,
            }
        )
    )


if __name__ == "__main__":
    main()
