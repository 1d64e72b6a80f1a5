"""The composite schedule of a connector (OCPP 1.6 §3.13): what its charging profiles allow, step
by step, over a time window.

At each moment every purpose offers the limit of its valid profile with the highest stack level
that has a period then (a profile for the connector before one for connector 0). A running
transaction's TxProfile replaces the TxDefaultProfile, and the ChargePointMaxProfile caps the
result. The limit can only change where some profile's period, schedule, validity or recurrence
begins or ends, so the window is evaluated at those moments only, not second by second (the
board's CPU). Profiles are the ocpp library's dicts (snake_case keys).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pycharge.runtime.clock import parse_rfc3339

Profile = dict[str, Any]
RECURRENCE_S = {"Daily": 86400.0, "Weekly": 7 * 86400.0}
VOLTS = 230.0  # for converting between A and W (per phase)


@dataclass(frozen=True)
class Step:
    start: float  # seconds since the epoch
    limit: float | None  # None: no profile limits it from here on
    phases: int | None


def seconds(text: str | None) -> float | None:
    return None if text is None else parse_rfc3339(text).timestamp()


def _origin(profile: Profile, at: float, tx_start: float | None, window_start: float
            ) -> float | None:
    """When the schedule that applies at ``at`` began."""
    schedule = profile["charging_schedule"]
    kind = profile["charging_profile_kind"]
    if kind == "Relative":
        return tx_start if tx_start is not None else window_start
    start = seconds(schedule.get("start_schedule"))
    if start is None:
        start = tx_start if tx_start is not None else window_start
    if kind == "Recurring":
        period = RECURRENCE_S[profile.get("recurrency_kind", "Daily")]
        return start + math.floor((at - start) / period) * period
    return start


def limit_at(profile: Profile, at: float, tx_start: float | None, window_start: float
             ) -> tuple[float, int | None] | None:
    """The profile's (limit, phases) at ``at``; None where it says nothing."""
    valid_from, valid_to = seconds(profile.get("valid_from")), seconds(profile.get("valid_to"))
    if (valid_from is not None and at < valid_from) or (valid_to is not None and at >= valid_to):
        return None
    origin = _origin(profile, at, tx_start, window_start)
    if origin is None or at < origin:
        return None
    schedule = profile["charging_schedule"]
    offset = at - origin
    if schedule.get("duration") is not None and offset >= schedule["duration"]:
        return None
    current = None
    for period in sorted(schedule["charging_schedule_period"], key=lambda p: p["start_period"]):
        if period["start_period"] <= offset:
            current = period
    if current is None:
        return None
    return float(current["limit"]), current.get("number_phases")


def _moments(profile: Profile, start: float, end: float, tx_start: float | None) -> set[float]:
    """Where ``profile``'s limit may change within [start, end)."""
    found = {seconds(profile.get("valid_from")), seconds(profile.get("valid_to"))}
    schedule = profile["charging_schedule"]
    origin = _origin(profile, start, tx_start, start)
    if origin is not None:
        period = RECURRENCE_S.get(profile.get("recurrency_kind", "")) \
            if profile["charging_profile_kind"] == "Recurring" else None
        while origin < end:
            found.add(origin)
            found.update(origin + p["start_period"] for p in schedule["charging_schedule_period"])
            if schedule.get("duration") is not None:
                found.add(origin + schedule["duration"])
            if period is None:
                break
            origin += period
    return {m for m in found if m is not None and start < m < end}


def _in_unit(limit: float, phases: int | None, profile: Profile, unit: str) -> float:
    given = profile["charging_schedule"]["charging_rate_unit"]
    if given == unit:
        return limit
    n = phases or 3
    return limit * VOLTS * n if unit == "W" else limit / (VOLTS * n)


def _top(profiles: list[Profile], at: float, tx_start: float | None, window_start: float,
         unit: str) -> tuple[float, int | None] | None:
    for profile in sorted(profiles, key=lambda p: -p["stack_level"]):
        found = limit_at(profile, at, tx_start, window_start)
        if found is not None:
            return _in_unit(found[0], found[1], profile, unit), found[1]
    return None


def composite(profiles: list[tuple[int, Profile]], connector: int, start: float,
              duration: float, unit: str, tx_start: float | None) -> list[Step]:
    """The steps over [start, start + duration), the first at ``start``; ``profiles`` are
    (connector id, profile)."""
    def of(purpose: str, where: int) -> list[Profile]:
        return [p for c, p in profiles if c == where and p["charging_profile_purpose"] == purpose]

    station_max = of("ChargePointMaxProfile", 0)
    defaults = [of("TxDefaultProfile", connector), of("TxDefaultProfile", 0)]
    tx = of("TxProfile", connector) if tx_start is not None else []
    end = start + duration
    moments = {start}
    for _, profile in profiles:
        moments |= _moments(profile, start, end, tx_start)
    steps: list[Step] = []
    for at in sorted(moments):
        chosen = _top(tx, at, tx_start, start, unit)
        for group in defaults:
            if chosen is None:
                chosen = _top(group, at, tx_start, start, unit)
        cap = _top(station_max, at, tx_start, start, unit)
        if chosen is None or (cap is not None and cap[0] < chosen[0]):
            chosen = cap
        if chosen is None:
            chosen = (None, None)
        if not steps or (steps[-1].limit, steps[-1].phases) != chosen:
            steps.append(Step(at, chosen[0], chosen[1]))
    return steps
