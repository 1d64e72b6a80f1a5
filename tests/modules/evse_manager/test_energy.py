"""The energy_flow_request of the EVSE leaf (what the EnergyManager reads)."""

from __future__ import annotations

import pytest

from pycharge.modules.EvseManager.energy import energy_flow_request

CAPS = {"max_current_A_import": 32.0, "min_current_A_import": 6.0, "max_phase_count_import": 3,
        "min_phase_count_import": 1, "max_current_A_export": 16.0, "min_current_A_export": 0.0,
        "max_phase_count_export": 3, "min_phase_count_export": 1,
        "supports_changing_phases_during_charging": False, "supports_cp_state_E": False,
        "connector_type": "IEC62196Type2Cable"}


def leaves_a(request: dict) -> float | None:
    limit = request["schedule_import"][0]["limits_to_leaves"].get("ac_max_current_A")
    return None if limit is None else limit["value"]


def test_hardware_limits_towards_the_root() -> None:
    request = energy_flow_request("evse1", CAPS, "Charging", 3, False, True, {})
    root = request["schedule_import"][0]["limits_to_root"]
    assert request["uuid"] == "evse1" and request["node_type"] == "Evse"
    assert request["evse_state"] == "Charging" and request["priority_request"] is True
    assert root["ac_max_current_A"]["value"] == 32.0 and root["ac_min_current_A"]["value"] == 6.0
    assert root["ac_max_phase_count"]["value"] == 3 and root["ac_number_of_active_phases"] == 3
    assert request["schedule_export"][0]["limits_to_root"]["ac_max_current_A"]["value"] == 16.0


@pytest.mark.parametrize(("state", "zero_in_idle", "leaves"), [
    ("Idle", False, None),  # default: ask for full power even without a car (EVerest#424)
    ("Idle", True, 0.0),
    ("Finished", True, 0.0),
    ("WaitingForAuthentication", True, None),
    ("Charging", True, None),
    ("ChargingPausedEVSE", True, None),  # else a paused session could never resume (EVerest#2710)
])
def test_zero_power_in_idle(state: str, zero_in_idle: bool, leaves: float | None) -> None:
    assert leaves_a(energy_flow_request("e", CAPS, state, 3, zero_in_idle, False, {})) == leaves


def test_paused_by_the_ev_asks_for_the_minimum_with_zero_power_in_idle() -> None:
    request = energy_flow_request("e", CAPS, "ChargingPausedEV", 3, True, False, {})
    assert request["schedule_import"][0]["limits_to_root"]["ac_max_current_A"]["value"] == 6.0
