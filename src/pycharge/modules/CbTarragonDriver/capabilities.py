"""The hardware capabilities the driver publishes once at start (chargebyte.md §4.3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def capabilities(config: Mapping[str, Any], forced_one_phase: bool) -> dict[str, Any]:
    """``HardwareCapabilities`` from the module config and the grid-phase-count input.

    ``forced_one_phase``: the optional grid phase count input says the grid has one phase,
    which also rules out phase switching.
    """
    max_phases = 1 if forced_one_phase else 3
    switching = config["switch_3ph1ph_wiring"] != "none" and not forced_one_phase
    min_phases = 1 if switching else max_phases
    return {
        "max_current_A_import": config["max_current_A"],
        "min_current_A_import": config["min_current_A"],
        "max_phase_count_import": max_phases,
        "min_phase_count_import": min_phases,
        "max_current_A_export": config["max_current_A"],
        "min_current_A_export": config["min_current_A"],
        "max_phase_count_export": max_phases,
        "min_phase_count_export": min_phases,
        "supports_changing_phases_during_charging": switching,
        "supports_cp_state_E": True,
        "connector_type": config["connector_type"],
    }
