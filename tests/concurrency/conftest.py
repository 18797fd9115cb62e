"""Fixtures for tests that commit for real and run threads: the role groups come from tests/conftest.py."""
