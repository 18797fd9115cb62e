"""Fault-injection runs, longer than CI's: each fault test several times, then a longer soak.

Run: .venv/bin/python bench/faults.py [--repeat 3] [--soak-seconds 120] [--soak-clients 8]
Needs PostgreSQL and Redis on 127.0.0.1 (as `make test` starts them) and redis-server on the PATH (the fault
tests start Redis servers of their own). Prints one JSON line: per fault test, how many runs passed (a pass
means nothing was lost and nothing doubled: one version per request, one inbox entry and one email per event
and recipient, every outbox message done, an intact audit chain), and the soak's report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAULT_TESTS = [
    "tests/tasks/test_faults.py",
    "tests/publishing/test_email_faults.py",
    "tests/concurrency/test_postgres_races.py",
]


def pytest(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / ".venv/bin/pytest"), "-p", "no:cacheprovider", "-q", "-rA", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def outcomes(output: str) -> dict[str, str]:
    """test id -> PASSED/FAILED/ERROR, from pytest's -rA summary."""
    found = {}
    for line in output.splitlines():
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[0] in ("PASSED", "FAILED", "ERROR"):
            found[parts[1]] = parts[0]
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--soak-seconds", type=float, default=120)
    parser.add_argument("--soak-clients", type=int, default=8)
    options = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/editorial"),
    }
    runs: dict[str, dict[str, int]] = {}
    started = time.monotonic()
    for _ in range(options.repeat):
        result = pytest(FAULT_TESTS, env)
        for test, outcome in outcomes(result.stdout).items():
            runs.setdefault(test, {"runs": 0, "passed": 0})
            runs[test]["runs"] += 1
            runs[test]["passed"] += outcome == "PASSED"
        if result.returncode not in (0, 1):
            sys.exit(f"pytest could not run the fault tests:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as report:
        soak_env = {
            **env,
            "SOAK_SECONDS": str(options.soak_seconds),
            "SOAK_CLIENTS": str(options.soak_clients),
            "SOAK_REPORT": report.name,
        }
        soak = pytest(["tests/tasks/test_soak.py"], soak_env)
        lines = [line for line in Path(report.name).read_text().splitlines() if line.strip()]
    print(
        json.dumps(
            {
                "fault_tests": runs,
                "all_fault_runs_passed": all(r["runs"] == r["passed"] for r in runs.values()),
                "soak": json.loads(lines[-1]) if lines else None,
                "soak_passed": soak.returncode == 0,
                "soak_failure": "" if soak.returncode == 0 else soak.stdout[-3000:],
                "seconds": round(time.monotonic() - started),
            }
        )
    )


if __name__ == "__main__":
    main()
