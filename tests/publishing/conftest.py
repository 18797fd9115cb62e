"""Fixtures for publishing and notifications, run in-process (the embedded default, no broker)."""

from __future__ import annotations

import contextlib

import pytest

from editorial.models import OutboxMessage, OutboxStatus


@pytest.fixture
def run_async(django_capture_on_commit_callbacks):
    """`with run_async():` runs the on-commit work of the block (the outbox messages, in-process) at its end.

    A failing handler leaves its message pending for the sweeper (no error reaches the caller), so afterwards
    every message queued in the block must be done: a failing task cannot pass unnoticed.
    """

    @contextlib.contextmanager
    def run():
        before = set(OutboxMessage.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks
        stuck = [
            (m.kind, m.dedupe_key, m.status, m.last_error)
            for m in OutboxMessage.objects.exclude(pk__in=before)
            if m.status != OutboxStatus.DONE
        ]
        assert not stuck, f"outbox messages not done: {stuck}"

    return run
