"""Fixtures for the page tests that drive a real browser (Playwright on Debian's chromium)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": ["--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update"],
    }


@pytest.fixture
def console_errors(page):
    """Console errors and uncaught page errors; a test asserts the list stays empty."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
