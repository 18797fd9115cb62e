"""The figures of the hostile-input run: which (payload, field, page) checks were made, what was refused.

Each check is recorded once as (field code, page kind, payload index). This module is also a pytest plugin
(registered by tests/security/conftest.py): xdist workers send their tally to the controller, which prints the
totals at the end of the run.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from .xss_corpus import PAYLOADS, SENTINEL

FIELDS = {
    "TI": "article title",
    "TL": "article title with a line break",
    "BO": "article body (Markdown)",
    "SU": "plain-language summary",
    "CI": "reference citation",
    "DO": "reference DOI",
    "UR": "reference URL",
    "PM": "reference PMID",
    "CS": "change summary",
    "DC": "decision comment",
    "AB": "annotation body",
    "AS": "annotation suggestion text",
    "QU": "annotation quote (revision text the annotation anchors to)",
    "RE": "annotation reply",
    "RR": "resolve response",
    "RO": "reopen reason",
    "CO": "conflict-of-interest statement",
    "DE": "decline reason",
    "WR": "withdraw reason",
    "RJ": "reject reason",
    "RT": "retract reason",
    "RM": "reader problem report",
    "RQ": "reader question",
    "EM": "reader report email address",
    "TR": "reader report answer (triage response)",
    "DN": "board member printed name",
    "FN": "user full name",
    "NU": "text holding a NUL character",
}

# (field code, page kind) -> payload indexes checked there
CHECKS: dict[tuple[str, str], set[int]] = defaultdict(set)
# field code -> payload indexes the product refused (400)
REFUSED: dict[str, set[int]] = defaultdict(set)


def record_found(found: set[str], page: str) -> None:
    """Every sentinel found on a page that passed assert_inert is one check."""
    for token in found:
        match = SENTINEL.fullmatch(token)
        CHECKS[(match.group(1), page)].add(int(match.group(2)))


def record(code: str, indexes, page: str) -> None:
    CHECKS[(code, page)].update(indexes)


def refused(code: str, indexes) -> None:
    REFUSED[code].update(indexes)


def dump() -> str:
    return json.dumps(
        {
            "checks": [[code, page, sorted(ix)] for (code, page), ix in CHECKS.items()],
            "refused": {code: sorted(ix) for code, ix in REFUSED.items()},
        }
    )


def load(text: str) -> None:
    data = json.loads(text)
    for code, page, indexes in data["checks"]:
        CHECKS[(code, page)].update(indexes)
    for code, indexes in data["refused"].items():
        REFUSED[code].update(indexes)


def summary_lines(payload_count: int) -> list[str]:
    if not CHECKS and not REFUSED:
        return []
    fields = sorted({code for code, _ in CHECKS} | set(REFUSED))
    pages = sorted({page for _, page in CHECKS})
    total = sum(len(ix) for ix in CHECKS.values())
    lines = [
        f"payloads: {payload_count} distinct strings (plus the URL-field and NUL sets)",
        f"fields: {len(fields)}; page kinds: {len(pages)} (API JSON and email parts included)",
        f"(payload, field, page) checks: {total}; refusals (400): {sum(len(ix) for ix in REFUSED.values())}",
    ]
    for code in fields:
        per_page = {page: len(ix) for (c, page), ix in CHECKS.items() if c == code}
        distinct = set().union(*[ix for (c, _), ix in CHECKS.items() if c == code]) if per_page else set()
        refusals = len(REFUSED.get(code, ()))
        lines.append(
            f"  {code} {FIELDS.get(code, code)}: {len(distinct)} payloads shown, {sum(per_page.values())} checks on "
            f"{len(per_page)} page kinds" + (f", {refusals} refused" if refusals else "")
        )
    return lines


# -- the plugin --------------------------------------------------------------------------------------------------


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["xss_tally"] = dump()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    data = getattr(node, "workeroutput", {}).get("xss_tally")
    if data:
        load(data)


def pytest_terminal_summary(terminalreporter):
    lines = summary_lines(len(PAYLOADS))
    if lines:
        terminalreporter.write_sep("=", "XSS corpus: hostile input checked inert")
        for line in lines:
            terminalreporter.write_line(line)
