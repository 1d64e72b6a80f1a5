"""get_errors' filters (``error_history#/FilterArguments``) as an SQL condition.

Every given filter must hold. Times are compared as instants (SQLite's ``julianday``), not as
text, so ``...T12:00:00Z``, ``...T12:00:00.000Z`` and ``...T13:00:00+01:00`` are the same moment.
"""

from __future__ import annotations

import re
from typing import Any

# The severities each SeverityFilter lets through.
SEVERITIES = {"HIGH_GE": ("High",), "MEDIUM_GE": ("Medium", "High"),
              "LOW_GE": ("Low", "Medium", "High")}

_DATE = re.compile(r"\d{4}-\d\d-\d\d[Tt ]")

COLUMNS = ("uuid", "type", "description", "message", "origin_module", "origin_implementation",
           "timestamp", "severity", "state", "sub_type", "vendor_id")


def condition(filters: dict[str, Any]) -> tuple[str, list[str]]:
    """A WHERE clause (``1`` if there is no filter) and its parameters."""
    parts: list[str] = []
    params: list[str] = []
    if "state_filter" in filters:
        parts.append("state = ?")
        params.append(filters["state_filter"])
    if "origin_filter" in filters:
        parts.append("origin_module = ? AND origin_implementation = ?")
        params += [filters["origin_filter"]["module_id"], filters["origin_filter"]["implementation_id"]]
    if "type_filter" in filters:
        parts.append("type = ?")
        params.append(filters["type_filter"])
    if "severity_filter" in filters:
        allowed = SEVERITIES[filters["severity_filter"]]
        parts.append(f"severity IN ({', '.join('?' for _ in allowed)})")
        params += allowed
    if "timeperiod_filter" in filters:
        parts.append("julianday(timestamp) BETWEEN julianday(?) AND julianday(?)")
        params += [filters["timeperiod_filter"]["timestamp_from"],
                   filters["timeperiod_filter"]["timestamp_to"]]
    if "handle_filter" in filters:
        parts.append("uuid = ?")
        params.append(filters["handle_filter"])
    return " AND ".join(f"({p})" for p in parts) or "1", params


def bad_times(filters: dict[str, Any], is_time: Any) -> list[str]:
    """The timestamps of a time filter that are not times (``is_time`` asks SQLite)."""
    period = filters.get("timeperiod_filter")
    if period is None:
        return []
    return [t for t in (period["timestamp_from"], period["timestamp_to"])
            if not (_DATE.match(t) and is_time(t))]


def error_object(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as ``error_history#/ErrorObject``."""
    return {"type": row["type"], "sub_type": row["sub_type"], "description": row["description"],
            "message": row["message"], "severity": row["severity"],
            "origin": {"module_id": row["origin_module"],
                       "implementation_id": row["origin_implementation"]},
            "timestamp": row["timestamp"], "uuid": row["uuid"], "state": row["state"]}
