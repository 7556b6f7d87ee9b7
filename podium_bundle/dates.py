"""Phase dates in every form old bundles use, always returned as aware UTC datetimes.

Accepted: `2019-08-07`, `2019-08-07 12:30`, `2019-08-07T12:30:00.5Z`, ISO datetimes with
an offset (converted to UTC, never dropped), and month-first `8-7-2019` / `8/7/2019`
(August 7), optionally followed by a time. A date without a time is midnight UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[Tt ]+(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?"
    r"\s*(?P<tz>Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
_MONTH_FIRST = re.compile(
    r"^(?P<m>\d{1,2})[-/](?P<d>\d{1,2})[-/](?P<y>\d{4})"
    r"(?:[Tt ]+(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?"
    r"\s*(?P<tz>Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)


class DateError(ValueError):
    pass


def _offset(text: str | None) -> timezone:
    if not text or text.upper() in ("Z", "UTC"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise DateError(f"time zone offset {text!r} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse(value: object) -> datetime:
    """Returns an aware UTC datetime, or raises DateError saying what is wrong."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool) or not isinstance(value, str):
        kind = type(value).__name__
        hint = ""
        if isinstance(value, int) and not isinstance(value, bool):
            hint = " (YAML reads a time such as 12:30:00 as a number; quote the date)"
        raise DateError(f"expected a date such as 2024-05-31, got {kind} {value!r}{hint}")
    text = value.strip()
    match = _ISO.match(text) or _MONTH_FIRST.match(text)
    if not match:
        raise DateError(f"{value!r} is not a date (use 2024-05-31 or 2024-05-31T12:00:00+00:00)")
    hour = minute = second = microsecond = 0
    if match["time"]:
        clock, _, fraction = match["time"].partition(".")
        parts = [int(part) for part in clock.split(":")]
        hour, minute = parts[0], parts[1]
        second = parts[2] if len(parts) > 2 else 0
        microsecond = int((fraction + "000000")[:6]) if fraction else 0
    try:
        moment = datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            hour,
            minute,
            second,
            microsecond,
            tzinfo=_offset(match["tz"]),
        )
    except ValueError as exc:
        raise DateError(f"{value!r} is not a real date or time ({exc})") from None
    return moment.astimezone(UTC)
