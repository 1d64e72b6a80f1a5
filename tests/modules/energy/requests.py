"""Energy flow requests as an EVSE and an EnergyNode publish them, for the energy tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pycharge.modules.EnergyNode.schedule import Fuse
from pycharge.runtime.clock import rfc3339

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> str:
    return rfc3339(NOW + timedelta(seconds=seconds))


def value(number: float, source: str) -> dict[str, Any]:
    return {"value": number, "source": source}


def evse(uuid: str = "evse", max_A: float = 32.0, min_A: float = 6.0,
         active_phases: int | None = None) -> dict[str, Any]:
    """An EVSE requesting its hardware capabilities (as EVerest's EvseManager does)."""
    root: dict[str, Any] = {"ac_max_current_A": value(max_A, f"{uuid}/caps"),
                            "ac_min_current_A": value(min_A, f"{uuid}/caps"),
                            "ac_max_phase_count": value(3, f"{uuid}/caps")}
    if active_phases:
        root["ac_number_of_active_phases"] = active_phases
    step = {"timestamp": at(0), "limits_to_root": root, "limits_to_leaves": {}}
    return {"uuid": uuid, "node_type": "Evse", "children": [], "schedule_import": [step],
            "schedule_export": [], "schedule_setpoints": []}


def grid(children: list[dict[str, Any]], fuse_A: float = 16.0, phase_count: int = 3,
         external: dict[str, Any] | None = None, uuid: str = "grid") -> dict[str, Any]:
    """An EnergyNode with a fuse and, optionally, external limits."""
    fuse = Fuse(fuse_A, phase_count, 230.0, False, f"{uuid}/module_config")
    external = external or {}
    return {"uuid": uuid, "node_type": "Generic", "children": children,
            "schedule_import": fuse.apply(external.get("schedule_import", []), at(0)),
            "schedule_export": fuse.apply(external.get("schedule_export", []), at(0)),
            "schedule_setpoints": external.get("schedule_setpoints", [])}


def api_limit(limit: float, unit: str = "A", timestamp: str | None = None) -> dict[str, Any]:
    """External limits in the shape the API module's set_limit_amps/_watts sends."""
    key = "ac_max_current_A" if unit == "A" else "total_power_W"
    target = {"timestamp": timestamp or at(0), "limits_to_root": {},
              "limits_to_leaves": {key: value(abs(limit), "API_module")}}
    zero = {"timestamp": timestamp or at(0), "limits_to_root": {},
            "limits_to_leaves": {key: value(0, "API_module")}}
    if limit > 0:
        return {"schedule_import": [target], "schedule_export": [zero], "schedule_setpoints": []}
    return {"schedule_import": [zero], "schedule_export": [target], "schedule_setpoints": []}
