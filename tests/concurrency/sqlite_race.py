"""Racing writers on a SQLite file database, through the services; run by test_sqlite_race.py.

    DATABASE_URL=sqlite:////tmp/x/db.sqlite3 DJANGO_SETTINGS_MODULE=config.settings \
        python tests/concurrency/sqlite_race.py [THREADS] [ROUNDS]

The database must be migrated. Each writer thread takes ROUNDS turns at creating an article,
declaring a conflict of interest on an article every thread shares, and editing its own article:
one audit event per turn. A reader thread verifies the chain meanwhile, and an exporter holds a read open
for EXPORT_HOLD seconds at a time (a slow audit export streaming rows), longer than the busy timeout the test
sets: without WAL a writer would fail with "database is locked" behind it. Prints one line
`RESULT {json}` and exits 1 if any thread saw an error ("database is locked" or any other), if
anything was logged as an error (after-commit work logs rather than raises), or if the chain does
not verify.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from editorial.audit import verify_chain  # noqa: E402
from editorial.models import AuditEvent, OutboxMessage  # noqa: E402
from editorial.roles import ROLE_GROUPS  # noqa: E402
from editorial.services import articles as article_services  # noqa: E402
from editorial.services import assignments as assignment_services  # noqa: E402
from editorial.services import workflow  # noqa: E402
from reviewers.models import BoardMember  # noqa: E402

BODY = "## From the Guidelines\n\nStatins lower LDL cholesterol [1]."
REFERENCES = [{"kind": "guideline", "citation": "ESC/EAS Guidelines for the management of dyslipidaemias",
               "year": 2019}]  # fmt: skip


def make_user(username: str, role: str):
    user = get_user_model().objects.create(username=username, first_name=username.title())
    user.set_unusable_password()  # no signatures here: skip the slow password hash
    user.save()
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    if role == "board":
        BoardMember.objects.create(user=user, display_name=f"{username.title()}, MD", specialties=["cardiology"])
    return get_user_model().objects.get(pk=user.pk)


class Problems(logging.Handler):
    """Errors that the services log instead of raising (after-commit work is robust): they count too."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or record.name.startswith("editorial.outbox") or "locked" in message:
            self.records.append(f"{record.name} {record.levelname}: {message}"[:500])


EXPORT_HOLD = float(os.environ.get("EXPORT_HOLD", "3"))


def journal_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        return cursor.fetchone()[0]


def main(threads: int, rounds: int) -> int:
    if connection.vendor != "sqlite":
        print(f"RESULT {json.dumps({'error': f'not SQLite but {connection.vendor}'})}")
        return 2
    setup_author = make_user("setup_author", "author")
    editor = make_user("editor", "editor")
    shared = article_services.create_article(actor=setup_author, title="Shared question?", body=BODY,
                                             references=REFERENCES)  # fmt: skip
    shared = workflow.submit_article(shared, actor=setup_author)  # board members see submitted articles
    writers = []
    for i in range(threads):
        author, member = make_user(f"author{i}", "author"), make_user(f"member{i}", "board")
        own = article_services.create_article(actor=author, title=f"Own question {i}?", body=BODY,
                                              references=REFERENCES)  # fmt: skip
        # Assigned: a declared conflict then notifies the editor, so after-commit work races too.
        assignment_services.assign_reviewer(shared, actor=editor, reviewer_username=member.username)
        writers.append((author, member, own))
    events_before = AuditEvent.objects.count()
    connection.close()

    problems = Problems()
    logging.getLogger().addHandler(problems)
    barrier = threading.Barrier(threads + 2)
    lock = threading.Lock()
    errors: list[str] = []
    done = {"create": 0, "declare": 0, "edit": 0}
    verifications: list[dict] = []
    exported: list[int] = []

    def writer(i: int) -> None:
        author, member, own = writers[i]
        try:
            barrier.wait(timeout=30)
            for n in range(rounds):
                kind = ("create", "declare", "edit")[n % 3]
                try:
                    if kind == "create":
                        article_services.create_article(actor=author, title=f"Race {i}-{n}?", body=BODY,
                                                        references=REFERENCES)  # fmt: skip
                    elif kind == "declare":
                        conflicted = n % 2 == 0
                        statement = "Consults for a sponsor" if conflicted else ""
                        assignment_services.declare_conflict(shared, actor=member, has_conflict=conflicted,
                                                             statement=statement)  # fmt: skip
                    else:
                        article_services.edit_article(own, actor=author, body=f"{BODY}\n\nTurn {n}.",
                                                      change_summary=f"turn {n}")  # fmt: skip
                except Exception as exc:
                    with lock:
                        errors.append(f"writer {i} {kind} #{n}: {type(exc).__name__}: {exc}")
                        if len(errors) < 3:
                            traceback.print_exc()
                else:
                    with lock:
                        done[kind] += 1
        finally:
            connection.close()

    def exporter() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(1):
                rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=1)  # one statement, kept open
                next(rows)
                time.sleep(EXPORT_HOLD)
                exported.append(1 + sum(1 for _ in rows))
        except Exception as exc:
            with lock:
                errors.append(f"exporter: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    def reader() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(10):
                verifications.append(verify_chain().as_dict())
                time.sleep(0.01)
        except Exception as exc:
            with lock:
                errors.append(f"reader: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    started = time.monotonic()
    pool = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    pool += [threading.Thread(target=reader), threading.Thread(target=exporter)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(120)
    hung = sum(thread.is_alive() for thread in pool)
    elapsed = time.monotonic() - started

    final = verify_chain()
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    result = {
        "threads": threads,
        "rounds": rounds,
        "done": done,
        "errors": errors,
        "logged": problems.records,
        "locked": sum("database is locked" in e for e in [*errors, *problems.records]),
        "hung": hung,
        "events_before": events_before,
        "outbox": dict(OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).order_by()),
        "events": len(seqs),
        "gapless": seqs == list(range(1, len(seqs) + 1)),
        "verifications": len(verifications),
        "verifications_broken": [v for v in verifications if not v["ok"]],
        "verify": final.as_dict(),
        "seconds": round(elapsed, 2),
        "journal_mode": journal_mode(),
        "exports": exported,
    }
    print("RESULT " + json.dumps(result))
    failed = errors or problems.records or hung or result["verifications_broken"]
    failed = failed or not final.ok or not result["gapless"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8, int(sys.argv[2]) if len(sys.argv) > 2 else 20))
