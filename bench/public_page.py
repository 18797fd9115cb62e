"""Benchmark: the public article page — full render from the HTML cache, and a 304 revalidation.

Run: .venv/bin/python bench/public_page.py [--requests 300]
Uses a throwaway SQLite file unless DATABASE_URL is set. Prints one JSON line (median and p95 in ms,
and queries per request).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='editorial-bench-')}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from editorial.services import publishing
    from tests.factories import make_user, reviewed_article

    call_command("migrate", verbosity=0)
    stamp = time.time_ns()
    author = make_user("author", username=f"a{stamp}")
    editor = make_user("editor", username=f"e{stamp}")
    board = make_user("board", username=f"b{stamp}")
    article = reviewed_article(author, editor, [board], state="approved", title=f"Bench question {stamp}?")
    publishing.request_publication(article, actor=editor)  # in-process: no broker configured
    client = Client(HTTP_HOST="localhost")  # a host the settings allow
    url = f"/articles/{article.slug}/"
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    etag = first["ETag"]

    def measure(**headers) -> tuple[list[float], int, int]:
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, **headers)
            times.append(1000 * (time.perf_counter() - started))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
        return times, len(queries), response.status_code

    full, full_queries, full_status = measure()
    revalidated, revalidated_queries, revalidated_status = measure(HTTP_IF_NONE_MATCH=etag)

    def p95(values):
        return sorted(values)[int(0.95 * (len(values) - 1))]

    print(
        json.dumps(
            {
                "database": connection.vendor,
                "requests": args.requests,
                "full_status": full_status,
                "full_ms_median": round(statistics.median(full), 2),
                "full_ms_p95": round(p95(full), 2),
                "full_queries": full_queries,
                "revalidated_status": revalidated_status,
                "revalidated_ms_median": round(statistics.median(revalidated), 2),
                "revalidated_ms_p95": round(p95(revalidated), 2),
                "revalidated_queries": revalidated_queries,
            }
        )
    )


if __name__ == "__main__":
    main()
