import importlib
import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from articles.models import Article
from editorial.services import publishing
from tests.factories import make_user

# CI runs the property tests derandomized: the same examples every run, so a red CI is reproducible.
# Locally they explore new examples each run.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _clear_cache():
    """The login throttle counts in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _checkpoints_of_this_test(settings, tmp_path):
    """Each test signs its own audit checkpoints: another test's chain would not match them."""
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "audit-checkpoints")


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
def publish(editor, django_capture_on_commit_callbacks):
    """`publish(article)` asks for the next version and runs the publishing task; returns the fresh article."""

    def run(article, **kwargs) -> Article:
        with django_capture_on_commit_callbacks(execute=True):
            publishing.request_publication(article, actor=editor, **kwargs)
        article = Article.objects.select_related("live_version").get(pk=article.pk)
        assert article.live_version is not None, "the publishing task did not make a version"
        return article

    return run


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` signs in with that user's token."""

    class Client(APIClient):
        def as_user(self, user):
            from knox.models import AuthToken

            _, token = AuthToken.objects.create(user)
            self.credentials(HTTP_AUTHORIZATION=f"Token {token}")
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


@pytest.fixture(scope="session")
def redis_test_url():
    """Tests use their own Redis database number and key prefix-free queues; never FLUSHALL."""
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def worker_queue_name() -> str:
    # One queue per xdist worker and process, so a worker thread never eats another run's tasks.
    return f"editorial-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"


ROLE_PERMISSIONS = importlib.import_module("editorial.migrations.0003_roles").ROLE_PERMISSIONS


@pytest.fixture
def committed_roles(transactional_db):
    """The role groups and the chain head row, as the migrations made them.

    A transactional test ends with a flush, which empties every table: content types and permissions
    come back (post_migrate), the groups of migration 0003 and the chain head row of 0002 do not.
    On PostgreSQL the flush is a TRUNCATE, which the test settings allow (editorial.protection). On SQLite
    it is a DELETE, which the append-only triggers refuse: empty the protected tables here first, with the
    triggers off for that moment.
    """
    from django.contrib.auth.models import Group, Permission

    from editorial import protection
    from editorial.models import AuditChainHead

    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    AuditChainHead.objects.get_or_create(pk=1)
    yield
    if connection.vendor == "sqlite":
        protection.remove(connection)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in (*protection.APPEND_ONLY_TABLES, protection.CHAIN_HEAD):
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("PRAGMA foreign_keys = ON")
        protection.install(connection)


@pytest.fixture(autouse=True)
def _roles_for_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("committed_roles")
