"""Real Celery workers for the asynchronous tests: a worker thread, or a separate worker process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from editorial import outbox
from tests.conftest import worker_queue_name

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


@contextlib.contextmanager
def project_app(broker_url: str, queue: str):
    """The project's Celery app pointed at a test broker, not eager; restored afterwards."""
    from config.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=broker_url, result_backend=None, task_always_eager=False, task_default_queue=queue)
    _reset_connections(app)
    try:
        yield app
    finally:
        app.conf.update(saved)
        _reset_connections(app)


def _reset_connections(app) -> None:
    """Drop pooled broker connections so the next publish connects to the configured broker, and forget an
    earlier broker's outage (the outbox's sender pauses after a failed send)."""
    from kombu import pools

    outbox.broker_back()

    pools.reset()  # kombu keeps pools per broker URL in a global registry, closed ones included
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_test_url):
    """The machine's Redis, own database number, a queue of this test run's own."""
    queue = worker_queue_name()
    with project_app(redis_test_url, queue) as app:
        yield app
    import redis

    redis.Redis.from_url(redis_test_url).delete(queue)  # only our own queue; never FLUSHDB


@pytest.fixture
def worker_thread(broker, transactional_db):
    """A real worker (solo pool, in a thread) consuming the project's tasks from Redis."""
    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=20, loglevel="WARNING"):
        yield broker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A Redis server of the test's own on a free loopback port, to stop and start at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, message="private redis to answer")

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
            return True
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    yield server
    server.stop()


class WorkerProcess:
    """`celery -A config worker` in its own process, on the test database, with one prefork child."""

    def __init__(self, broker_url: str, queue: str, **env) -> None:
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            database_url = (
                f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
                f"{settings['PORT'] or 5432}/{settings['NAME']}"
            )
        else:
            raise RuntimeError("a worker process needs a database it can share: PostgreSQL")
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": "30",
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "EMAIL_URL": "memorymail://",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-P",
                "prefork",
                "-c",
                "1",
                "-l",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                self.env["CELERY_QUEUE"],
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the worker consumes: its pool child is up (the broker connection comes before it)."""
        wait_for(self.children, timeout, message="the worker's pool child")

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def kill_child(self) -> int:
        child = wait_for(lambda: (self.children() or [None])[0], 20, message="the worker's pool child")
        os.kill(child, signal.SIGKILL)
        return child

    def stop(self) -> str:
        if self.process is None:
            return ""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            output, _ = self.process.communicate()
        self.process = None
        return output.decode(errors="replace") if output else ""
