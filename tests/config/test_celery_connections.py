"""A worker keeps its database connection from task to task, and drops one that is broken or mid-transaction."""

from types import SimpleNamespace

import pytest
from django.db import connection

from config.celery import close_unusable_connections

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_TASK = SimpleNamespace(request=SimpleNamespace(is_eager=False))


def test_a_healthy_connection_is_kept_between_tasks():
    connection.ensure_connection()
    kept = connection.connection
    close_unusable_connections(sender=WORKER_TASK)
    assert connection.connection is kept


@pytest.mark.postgres_only  # Django never closes SQLite's in-memory test database
def test_a_connection_left_in_a_transaction_is_closed():
    connection.ensure_connection()
    connection.set_autocommit(False)
    try:
        close_unusable_connections(sender=WORKER_TASK)
        assert connection.connection is None
    finally:
        connection.close()


@pytest.mark.postgres_only  # Django never closes SQLite's in-memory test database
def test_a_connection_that_failed_and_is_unusable_is_closed(monkeypatch):
    connection.ensure_connection()
    connection.errors_occurred = True
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    close_unusable_connections(sender=WORKER_TASK)
    assert connection.connection is None


def test_an_eager_task_leaves_the_callers_connection_alone():
    connection.ensure_connection()
    kept = connection.connection
    connection.set_autocommit(False)
    try:
        close_unusable_connections(sender=SimpleNamespace(request=SimpleNamespace(is_eager=True)))
        assert connection.connection is kept
    finally:
        connection.set_autocommit(True)


def test_the_worker_does_not_let_celery_close_connections_around_every_task():
    from config.celery import app

    assert app.conf.get("CELERY_DB_REUSE_MAX") >= 100
