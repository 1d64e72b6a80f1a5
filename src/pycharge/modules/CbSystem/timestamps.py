"""RFC 3339 timestamps from requests (Python 3.10's fromisoformat does not take them all)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                      r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$")


def parse_rfc3339(text: str) -> datetime:
    """The moment ``text`` names, in UTC; ValueError if it is not RFC 3339."""
    match = _RFC3339.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = round(float(match[7]) * 1_000_000) if match[7] else 0
    moment = datetime(year, month, day, hour, minute, min(second, 59), min(micro, 999_999),
                      tzinfo=timezone.utc)
    if match[9]:
        offset = timedelta(hours=int(match[10]), minutes=int(match[11]))
        moment -= offset if match[9] == "+" else -offset
    return moment
