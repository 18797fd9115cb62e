"""Reading a moment typed by a person or sent by a client: an ISO 8601 date or date-time, in UTC."""

from __future__ import annotations

import datetime

from django.utils.dateparse import parse_date, parse_datetime

from .exceptions import InvalidInput


def parse_moment(
    value: str, *, field: str, end_of_day: bool = False, naive_is_utc: bool = False, dates: bool = True
) -> datetime.datetime:
    """An aware datetime from an ISO 8601 date or date-time; InvalidInput (naming `field`) otherwise.

    A plain date means the start of that day in UTC (its end with `end_of_day`), unless `dates` is False.
    A date-time without a zone is refused, or read as UTC with `naive_is_utc` (a browser's datetime-local
    input has no zone). Well-formed but impossible values (2025-13-45) are refused too, never a 500.
    """
    value = (value or "").strip()
    try:
        # A date first: parse_datetime() would read "2025-06-01" as a naive midnight.
        day = parse_date(value)
        moment = None if day is not None else parse_datetime(value)
    except ValueError:
        day = moment = None
    if day is not None and dates:
        return datetime.datetime.combine(
            day, datetime.time.max if end_of_day else datetime.time.min, tzinfo=datetime.UTC
        )
    if moment is None:
        expected = "an ISO 8601 date or date and time" if dates else "a date and time, e.g. 2030-01-31T09:00"
        raise InvalidInput(f"{field} must be {expected}.", errors={field: [f"Not {expected}."]})
    if moment.tzinfo is None:
        if not naive_is_utc:
            raise InvalidInput(f"{field} needs a time zone (for example Z).", errors={field: ["Missing time zone."]})
        moment = moment.replace(tzinfo=datetime.UTC)
    try:
        # In UTC: Python reads zone offsets up to ±23:59, PostgreSQL refuses those beyond ±15:59 (a 500).
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise InvalidInput(f"{field} is out of range.", errors={field: ["Out of range."]}) from None
