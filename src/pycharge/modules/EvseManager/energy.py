"""What this EVSE asks of the energy manager: the ``energy_flow_request`` of the energy leaf.

The request carries the hardware limits of the board towards the root (current, phases) for
import and export. While no car needs energy and ``request_zero_power_in_idle`` is set, it asks
for 0 A instead, so other chargers get the power. A session paused by the EVSE still asks for
energy, or it could never resume (EVerest#2710).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pycharge.runtime.clock import rfc3339

# Charger state -> energy#/EvseState
ENERGY_STATE = {
    "Disabled": "Disabled", "Idle": "Unplugged", "WaitingForAuthentication": "WaitForAuth",
    "PrepareCharging": "PrepareCharging", "T_step_EF": "PrepareCharging", "Charging": "Charging",
    "ChargingPausedEV": "PausedEV", "ChargingPausedEVSE": "PausedEVSE",
    "StoppingCharging": "Finished", "Finished": "Finished", "SwitchPhases": "Charging",
}
NEEDS_ENERGY = frozenset({"WaitingForAuthentication", "PrepareCharging", "T_step_EF", "Charging",
                          "ChargingPausedEV", "ChargingPausedEVSE", "StoppingCharging",
                          "SwitchPhases"})


def _hour_start() -> str:
    now = datetime.now(timezone.utc)
    return rfc3339(now.replace(minute=0, second=0, microsecond=0))


def _entry(caps: Mapping[str, Any], direction: str, source: str, active_phases: int,
           max_current: float) -> dict[str, Any]:
    return {
        "timestamp": _hour_start(),
        "limits_to_root": {
            "ac_max_current_A": {"value": max_current, "source": source},
            "ac_min_current_A": {"value": caps[f"min_current_A_{direction}"], "source": source},
            "ac_max_phase_count": {"value": caps[f"max_phase_count_{direction}"], "source": source},
            "ac_min_phase_count": {"value": caps[f"min_phase_count_{direction}"], "source": source},
            "ac_supports_changing_phases_during_charging":
                caps["supports_changing_phases_during_charging"],
            "ac_number_of_active_phases": active_phases,
        },
        "limits_to_leaves": {},
    }


def energy_flow_request(uuid: str, caps: Mapping[str, Any], state: str, active_phases: int,
                        zero_power_in_idle: bool, priority: bool,
                        usage: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The request for this EVSE; ``usage`` maps energy_usage_root/_leaves to meter readings."""
    source = f"{uuid}/evse_board_support_caps"
    paused_by_ev = state == "ChargingPausedEV" and zero_power_in_idle
    import_a = caps["min_current_A_import" if paused_by_ev else "max_current_A_import"]
    export_a = caps["min_current_A_export" if state == "ChargingPausedEV" else "max_current_A_export"]
    schedule_import = [_entry(caps, "import", source, active_phases, import_a)]
    schedule_export = [_entry(caps, "export", source, active_phases, export_a)]
    if state not in NEEDS_ENERGY and zero_power_in_idle:
        for schedule in (schedule_import, schedule_export):
            schedule[0]["limits_to_leaves"]["ac_max_current_A"] = {"value": 0.0, "source": "Idle"}
    return {
        "uuid": uuid,
        "node_type": "Evse",
        "children": [],
        "schedule_import": schedule_import,
        "schedule_export": schedule_export,
        "schedule_setpoints": [],
        "priority_request": priority,
        "evse_state": ENERGY_STATE[state],
        **usage,
    }
