"""The composite schedule's arithmetic (no stack needed): stacking, precedence, the station
cap, recurrence, validity and units."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pycharge.modules.OCPP.composite import Step, composite

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc).timestamp()


def stamp(offset: float) -> str:
    return datetime.fromtimestamp(T0 + offset, timezone.utc).isoformat().replace("+00:00", "Z")


def profile(purpose: str, stack: int, periods: list[tuple[int, float]], kind: str = "Absolute",
            unit: str = "A", duration: int | None = None, **extra: Any) -> dict[str, Any]:
    schedule: dict[str, Any] = {"charging_rate_unit": unit, "charging_schedule_period": [
        {"start_period": start, "limit": limit} for start, limit in periods]}
    if kind != "Relative":
        schedule["start_schedule"] = stamp(0)
    if duration is not None:
        schedule["duration"] = duration
    return {"charging_profile_id": stack, "stack_level": stack, "charging_profile_purpose":
            purpose, "charging_profile_kind": kind, "charging_schedule": schedule, **extra}


def limits(steps: list[Step]) -> list[tuple[float, float | None]]:
    return [(s.start - T0, s.limit) for s in steps]


def test_a_higher_stack_level_wins_where_it_has_a_period() -> None:
    low = profile("TxDefaultProfile", 0, [(0, 16.0)])
    high = profile("TxDefaultProfile", 1, [(0, 10.0)], duration=600)
    steps = composite([(1, low), (0, high)], 1, T0, 1200, "A", None)
    # connector 1's own profile comes first, whatever the stack level on connector 0
    assert limits(steps) == [(0, 16.0)]
    steps = composite([(1, low), (1, high)], 1, T0, 1200, "A", None)
    assert limits(steps) == [(0, 10.0), (600, 16.0)]


def test_tx_profile_replaces_the_default_and_the_station_cap_binds() -> None:
    default = profile("TxDefaultProfile", 0, [(0, 16.0)])
    tx = profile("TxProfile", 0, [(0, 20.0), (300, 8.0)], kind="Relative")
    cap = profile("ChargePointMaxProfile", 0, [(0, 12.0)])
    everything = [(1, default), (1, tx), (0, cap)]
    assert limits(composite(everything, 1, T0, 900, "A", None)) == [(0, 12.0)]  # no transaction
    assert limits(composite(everything, 1, T0, 900, "A", T0 - 100)) == [(0, 12.0), (200, 8.0)]


def test_recurring_validity_and_gaps() -> None:
    daily = profile("TxDefaultProfile", 0, [(0, 6.0), (3600, 16.0)], kind="Recurring",
                    recurrency_kind="Daily", duration=7200, valid_to=stamp(86400 + 1800))
    steps = composite([(1, daily)], 1, T0 + 1800, 86400, "A", None)
    assert limits(steps) == [(1800, 6.0), (3600, 16.0), (7200, None), (86400, 6.0)]


def test_power_is_converted_per_phase_at_230_v() -> None:
    watts = profile("TxDefaultProfile", 0, [(0, 11040.0)], unit="W")
    assert limits(composite([(1, watts)], 1, T0, 60, "A", None)) == [(0, 16.0)]
    amps = profile("TxDefaultProfile", 0, [(0, 16.0)])
    assert limits(composite([(1, amps)], 1, T0, 60, "W", None)) == [(0, 11040.0)]
