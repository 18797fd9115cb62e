"""Least privilege on PostgreSQL: the application's role cannot rewrite the record, even by TRUNCATE or by
turning triggers off; appends still work; `check --deploy` warns about a superuser or owner connection."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from editorial.checks import application_role_is_not_the_owner
from editorial.models import AuditEvent
from tests.audit.builders import full_review

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
OWNER, APP = f"editorial_test_owner_{WORKER}", f"editorial_test_app_{WORKER}"


def _url(role: str) -> str:
    settings = connection.settings_dict
    return f"postgres://{role}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture
def roles():
    call_command("setup_database_roles", "--owner", OWNER, "--app", APP, stdout=io.StringIO())
    yield
    superuser = connection.settings_dict["USER"] or "postgres"
    with connection.cursor() as cursor:
        cursor.execute(f'REASSIGN OWNED BY "{OWNER}" TO "{superuser}"')
        for role in (OWNER, APP):
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
        cursor.execute(f'ALTER SCHEMA public OWNER TO "{superuser}"')


def as_app(statement: str) -> str:
    """Run one statement as the application's role; the error class name, or "ok"."""
    with psycopg.connect(_url(APP), autocommit=True) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as error:
            return type(error).__name__
    return "ok"


def test_the_application_role_cannot_rewrite_the_record(roles, author, editor, board, board2):
    full_review(author, editor, board, board2)
    refused = {
        "TRUNCATE editorial_auditevent": "InsufficientPrivilege",
        "TRUNCATE reviewers_decision": "InsufficientPrivilege",
        "ALTER TABLE editorial_auditevent DISABLE TRIGGER ALL": "InsufficientPrivilege",
        "DROP TRIGGER editorial_auditevent_append_only ON editorial_auditevent": "InsufficientPrivilege",
        "UPDATE editorial_auditevent SET reason = 'x'": "InsufficientPrivilege",
        "DELETE FROM editorial_auditevent": "InsufficientPrivilege",
        "UPDATE editorial_auditchainhead SET seq = 1": "InsufficientPrivilege",
        "UPDATE editorial_auditchainhead SET id = 2": "InsufficientPrivilege",  # the head's trigger refuses it
        "UPDATE reviewers_revisionapproval SET round = 9": "InsufficientPrivilege",
        "DELETE FROM articles_revision": "InsufficientPrivilege",
        "CREATE TABLE editorial_sneaky (id int)": "InsufficientPrivilege",
    }
    assert {statement: as_app(statement) for statement in refused} == refused
    assert as_app("SELECT count(*) FROM editorial_auditevent") == "ok"
    assert as_app("UPDATE articles_article SET topic = topic") == "ok"  # ordinary tables stay writable


def test_the_application_appends_and_verifies_as_its_role(roles, author, editor, board, board2):
    full_review(author, editor, board, board2)
    before = AuditEvent.objects.count()
    env = {**os.environ, "DATABASE_URL": _url(APP), "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    code = (
        "import django; django.setup(); "
        "from django.db import transaction; from editorial.audit import record_event; "
        "from editorial.verification import verify_audit; "
        "transaction.atomic()(lambda: record_event('test.append', actor=None, obj=None))(); "
        "print(verify_audit()['ok'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
    assert AuditEvent.objects.count() == before + 1  # the head moved through the owner's trigger function


def test_check_warns_when_the_application_is_a_superuser_or_the_owner(roles):
    [warning] = application_role_is_not_the_owner(databases=["default"])  # the suite connects as a superuser
    assert warning.id == "editorial.W001"
    env = {**os.environ, "DATABASE_URL": _url(OWNER), "DJANGO_SETTINGS_MODULE": "config.settings", "HTTPS": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--database", "default"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "editorial.W002" in result.stderr + result.stdout
    env["DATABASE_URL"] = _url(APP)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--database", "default"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "editorial.W00" not in (result.stderr + result.stdout).replace("editorial.W003", "")
