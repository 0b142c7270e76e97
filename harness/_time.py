"""Times as Stillhouse reads them: ISO 8601 text or a date, always as an aware UTC datetime."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def parse_time(value: str | dt.date | dt.datetime) -> dt.datetime:
    """An ISO 8601 time or day (``2026-11-28``, ``2026-11-28T10:00:00Z``, a `date` or a
    `datetime`) as an aware datetime; naive times and days are taken as UTC (a day is
    00:00 UTC). Raises `ValueError` for anything else, `OverflowError` never escapes."""
    if isinstance(value, dt.datetime):
        t = value
    elif isinstance(value, dt.date):
        t = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        try:
            t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except OverflowError:
            raise ValueError(f"a time outside the calendar: {value!r}") from None
    else:
        raise ValueError(f"a date or ISO time, not {type(value).__name__}")
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def now() -> dt.datetime:
    """The current time in UTC, to the second."""
    return dt.datetime.now(UTC).replace(microsecond=0)
