"""The database connection the settings open."""

from __future__ import annotations

import pytest


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_runs_without_jit():
    """JIT compiled the token query (its cost estimate passes the threshold) on every API request: 30-70 ms."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW editorial.allow_truncate")  # the test settings' own option is kept beside it
        assert cursor.fetchone()[0] == "on"
