"""The audit log as a file: the API's JSON rows, or CSV with one column per field, streamed in chunks."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from .api.serializers.audit import AuditEventOutput

# One column per field of the JSON rows, in the same order.
CSV_COLUMNS = AuditEventOutput.Meta.fields


class Echo:
    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    # Spreadsheets run cells that start with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def event_rows(events):
    """The events as the API's JSON rows, read in chunks (an export streams, it does not load all)."""
    for event in events.iterator(chunk_size=2000):
        yield AuditEventOutput(event).data


def csv_lines(events):
    """A header, then one CSV line per event: the JSON row's fields, cells made safe for spreadsheets."""
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row in event_rows(events):
        yield writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])


def json_lines(events) -> Iterator[str]:
    """The rows as one JSON array, written a row at a time."""
    yield "[\n"
    for i, row in enumerate(event_rows(events)):
        yield ("" if i == 0 else ",\n") + json.dumps(row, ensure_ascii=False, default=str)
    yield "\n]\n"
