"""The board telemetry and the enforced limits in the shapes EVerest's API module publishes.

EVerest's API does not forward ``evse_board_support#/Telemetry`` as it is: it renames
``relais_on`` to ``phase_seq_error`` and ``evse_temperature_C`` to ``temperature``. Displays
written for EVerest read those names, so they are kept here. Figures the board did not report
are left out (Charge Control C measures no temperatures, fan or supply voltages).
"""

from __future__ import annotations

from typing import Any

from pycharge.runtime.clock import parse_rfc3339

# telemetry field as the board publishes it -> name on everest_api/<evse>/var/telemetry
EVEREST_NAMES = {"relais_on": "phase_seq_error", "evse_temperature_C": "temperature",
                 "fan_rpm": "fan_rpm", "supply_voltage_12V": "supply_voltage_12V",
                 "supply_voltage_minus_12V": "supply_voltage_minus_12V",
                 "plug_temperature_C": "plug_temperature_C"}


def everest_telemetry(telemetry: dict[str, Any]) -> dict[str, Any]:
    """The (already rounded) board telemetry under EVerest's API names."""
    return {EVEREST_NAMES[name]: value for name, value in telemetry.items() if name in EVEREST_NAMES}


def charging_schedule(evse: int, enforced: dict[str, Any]) -> dict[str, Any]:
    """One EVSE's ``energy#/EnforcedLimits`` schedule as an ``ocpp#/ChargingSchedule``.

    The unit is A when every step limits the current, else W when every step limits the power
    (a step without either cannot be shown in one unit and is left out). Periods start at
    seconds after the first step; a phase limit becomes ``number_phases``.
    """
    steps = enforced["schedule"]
    unit, field = "A", "ac_max_current_A"
    if not all(field in step["limits_to_root"] for step in steps):
        unit, field = "W", "total_power_W"
    usable = [step for step in steps if field in step["limits_to_root"]]
    result: dict[str, Any] = {"evse": evse, "charging_rate_unit": unit, "charging_schedule_period": []}
    if not usable:
        return result
    start = parse_rfc3339(usable[0]["timestamp"])
    result["start_schedule"] = usable[0]["timestamp"]
    for step in usable:
        limits = step["limits_to_root"]
        after = (parse_rfc3339(step["timestamp"]) - start).total_seconds()
        period: dict[str, Any] = {"start_period": max(0, int(after)), "limit": limits[field]["value"]}
        if "ac_max_phase_count" in limits:
            period["number_phases"] = limits["ac_max_phase_count"]["value"]
        result["charging_schedule_period"].append(period)
    return result
