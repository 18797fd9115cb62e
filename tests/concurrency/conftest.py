"""Fixtures for tests that commit for real and run threads: the role groups come from tests/conftest.py."""

from tests.tasks.conftest import broker  # noqa: F401 (Redis with a queue of the test's own, no worker)
