"""Figures printed at the end of the run: how many (route, method, principal) cells the authorization matrix
checked, and the hostile-input tally (tests/security/tally.py).

Each test of the matrix records its number of cells (`record_property`); the reports carry them from the
xdist workers to the process that prints the summary.
"""

from __future__ import annotations

import pytest

from . import tally


def pytest_configure(config):
    if not config.pluginmanager.is_registered(tally):
        config.pluginmanager.register(tally, "xss-tally")


_cells = {"passed": 0, "failed": 0, "xfailed": 0, "xpassed": 0}
_size = {"cells": 0}


def pytest_runtest_logreport(report):
    properties = dict(report.user_properties)
    if "authorization_matrix_size" in properties and report.when == "call" and report.passed:
        _size["cells"] = properties["authorization_matrix_size"]
    cells = properties.get("authorization_cells")
    if not cells or report.when != "call":
        return
    if hasattr(report, "wasxfail"):
        _cells["xfailed" if report.skipped else "xpassed"] += cells
    elif report.passed:
        _cells["passed"] += cells
    elif report.failed:
        _cells["failed"] += cells


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    checked = sum(_cells.values())
    if not checked:
        return
    line = (
        f"authorization matrix: {checked} (route, method, principal) cells checked: {_cells['passed']} as the "
        f"contract says, {_cells['xfailed']} known findings (xfail), {_cells['failed']} in failed tests"
    )
    if _cells["xpassed"]:
        line += f", {_cells['xpassed']} findings now answered as the contract says (xpass)"
    if _size["cells"]:
        line += f"; the table has {_size['cells']} cells"
    terminalreporter.write_sep("-", line)
