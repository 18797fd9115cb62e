"""The hostile-input figures (tests/security/tally.py) are printed at the end of the run."""

from __future__ import annotations

from . import tally


def pytest_configure(config):
    if not config.pluginmanager.is_registered(tally):
        config.pluginmanager.register(tally, "xss-tally")
