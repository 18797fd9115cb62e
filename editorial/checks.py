"""System checks for production: the application must not connect to PostgreSQL as a role that could
rewrite the audit trail (a superuser, or the owner of its tables), and checkpoints need a key of their own."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import connections
from django.db.utils import DatabaseError


@register(Tags.database, deploy=True)
def application_role_is_not_the_owner(app_configs=None, databases=None, **kwargs) -> list[Warning]:
    """Run with `manage.py check --deploy --database default` against the production database."""
    warnings: list[Warning] = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                superuser = bool((cursor.fetchone() or [False])[0])
                cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'editorial_auditevent'")
                owner = (cursor.fetchone() or [None])[0]
                cursor.execute("SELECT current_user")
                user = cursor.fetchone()[0]
        except DatabaseError:
            continue
        if superuser:
            warnings.append(
                Warning(
                    f"The application connects to {alias!r} as the superuser {user!r}.",
                    hint="Connect as a role without ownership or superuser rights: manage.py setup_database_roles.",
                    id="editorial.W001",
                )
            )
        elif owner == user:
            warnings.append(
                Warning(
                    f"The application connects to {alias!r} as {user!r}, the owner of the audit tables: it could "
                    "drop their triggers and rewrite them.",
                    hint="Run migrations as the owner and the application as another role: "
                    "manage.py setup_database_roles.",
                    id="editorial.W002",
                )
            )
    return warnings


@register(Tags.security, deploy=True)
def checkpoint_key_is_set(app_configs=None, **kwargs) -> list[Warning]:
    if settings.AUDIT_CHECKPOINT_KEY:
        return []
    return [
        Warning(
            "AUDIT_CHECKPOINT_KEY is not set: audit checkpoints are signed with a key derived from SECRET_KEY.",
            hint="Set AUDIT_CHECKPOINT_KEY to a key of its own, kept away from the database and its administrators.",
            id="editorial.W003",
        )
    ]
