import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import make_user


@pytest.fixture(autouse=True)
def _clear_cache():
    """The login throttle counts in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def author(db):
    return make_user("author", username="author")


@pytest.fixture
def other_author(db):
    return make_user("author", username="other_author")


@pytest.fixture
def editor(db):
    return make_user("editor", username="editor")


@pytest.fixture
def auditor(db):
    return make_user("auditor", username="auditor")


@pytest.fixture
def board(db):
    return make_user("board", username="board1")


@pytest.fixture
def board2(db):
    return make_user("board", username="board2", specialties=["oncology"])


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` signs in with that user's token."""

    class Client(APIClient):
        def as_user(self, user):
            from rest_framework.authtoken.models import Token

            token, _ = Token.objects.get_or_create(user=user)
            self.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            return self

    return Client()


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    vendor = "postgresql" if (os.environ.get("DATABASE_URL") or "").startswith("postgres") else "sqlite"
    skip_pg = pytest.mark.skip(reason="PostgreSQL-only test; DATABASE_URL is not PostgreSQL")
    skip_sqlite = pytest.mark.skip(reason="SQLite-only test; the suite runs it in its SQLite pass")
    for item in items:
        if "postgres_only" in item.keywords and vendor != "postgresql":
            item.add_marker(skip_pg)
        if "sqlite_only" in item.keywords and vendor != "sqlite":
            item.add_marker(skip_sqlite)
