"""SQLite racing writers, in the SQLite pass: pytest's SQLite database is in memory, so this runs the
services in a subprocess against a temporary file database (RELIABILITY.md §5, test 7)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # its own SQLite file either way: once is enough

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("sqlite_race.py")
THREADS, ROUNDS = 8, 15  # 5 turns of each kind per writer


def run(args, env, timeout=180):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def test_eight_threads_writing_to_a_sqlite_file_never_see_database_is_locked(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "EMAIL_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings")
    # A busy timeout shorter than the exporter's open read: writers pass it only because of WAL.
    env.update(SQLITE_BUSY_TIMEOUT="6", EXPORT_HOLD="8")

    migrate = run(["manage.py", "migrate", "--noinput", "--verbosity", "0"], env)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    assert (tmp_path / "db.sqlite3").exists()

    race = run([str(SCRIPT), str(THREADS), str(ROUNDS)], env)
    lines = [line for line in race.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result line; exit {race.returncode}\n{race.stdout[-2000:]}\n{race.stderr[-3000:]}"
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["locked"] == 0, result["errors"][:5]
    assert result["errors"] == [], result["errors"][:5]
    assert result["logged"] == [], result["logged"][:5]
    assert race.returncode == 0, race.stderr[-3000:]

    turns = THREADS * ROUNDS // 3
    assert result["done"] == {"create": turns, "declare": turns, "edit": turns}
    assert result["hung"] == 0
    assert result["journal_mode"] == "wal"
    assert len(result["exports"]) == 1 and all(n >= 1 for n in result["exports"])
    # After-commit work (notifications to the editor through the outbox) ran too, none left behind.
    assert result["outbox"].get("done", 0) > 0
    assert set(result["outbox"]) == {"done"}, result["outbox"]
    # One audit event per turn, on top of the setup's: none lost, none doubled, no gap.
    assert result["events"] == result["events_before"] + THREADS * ROUNDS
    assert result["gapless"] is True
    assert result["verify"]["ok"] is True
    assert result["verify"]["checked"] == result["events"]
    assert result["verifications"] == 10 and result["verifications_broken"] == []
