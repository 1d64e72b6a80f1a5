"""The EnergyManager's choice between one and three phases (switch_3ph1ph_* keys)."""

from __future__ import annotations

from typing import Any

import pytest

from pycharge.modules.EnergyManager.allocation import Settings, allocate, enforced_limits
from pycharge.modules.EnergyManager.phases import PhaseDecider, PhaseSettings
from pycharge.modules.EnergyManager.tree import read_tree
from tests.modules.energy.requests import NOW, api_limit, at, evse, grid, value

SETTINGS = Settings(nominal_ac_voltage=230.0, slice_ampere=0.5, valid_for=10, source="em")
MIN_3PH_W = 6 * 3 * 230.0  # 4140 W: below it three phases cannot charge at 6 A
BAND_W = 200.0  # switch_3ph1ph_power_hysteresis_W


def switching_evse(active: int = 3, state: str = "Charging") -> dict[str, Any]:
    """An EVSE whose board can switch (min_phase_count 1), using ``active`` phases."""
    request = evse(active_phases=active)
    request["schedule_import"][0]["limits_to_root"]["ac_min_phase_count"] = value(1, "evse/caps")
    request["evse_state"] = state
    return request


class Manager:
    """The decider and the sharing, as the module runs them every update_interval."""

    def __init__(self, **settings: Any) -> None:
        self.decider = PhaseDecider(PhaseSettings(**{"time_hysteresis_s": 0, **settings}),
                                    230.0, "em")

    def limits(self, watts: float | None, now: float = 0.0, active: int = 3,
               state: str = "Charging", external: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        """The limits_root_side the EVSE is sent for a power limit of ``watts``."""
        if external is None and watts is not None:
            external = api_limit(watts, "W")
        request = grid([switching_evse(active, state)], fuse_A=32, external=external)
        tree = read_tree(request, NOW, "none")
        [grant] = allocate(tree, SETTINGS, self.decider.decide(tree, now))
        return enforced_limits(grant, SETTINGS, at(0))["limits_root_side"]

    def phases(self, watts: float | None, now: float = 0.0, active: int = 3,
               state: str = "Charging") -> int:
        return self.limits(watts, now, active, state)["ac_max_phase_count"]["value"]


@pytest.mark.parametrize("mode", ["Oneway", "Both"])
def test_too_little_power_for_three_phases_charges_on_one(mode: str) -> None:
    limits = Manager(mode=mode).limits(3000.0)
    assert limits["ac_max_phase_count"] == value(1, "evse/caps")
    assert limits["ac_max_current_A"]["value"] == pytest.approx(3000.0 / 230.0, abs=0.01)


def test_never_leaves_the_phases_to_the_limits_on_the_path() -> None:
    manager = Manager(mode="Never")
    assert manager.decider.decide(read_tree(grid([switching_evse()]), NOW, "none"), 0.0) == {}
    assert manager.phases(3000.0) == 3


@pytest.mark.parametrize(("watts", "active", "expected"), [
    (MIN_3PH_W + BAND_W + 1, 1, 3),  # above the band: three phases
    (MIN_3PH_W + BAND_W - 1, 1, 1),  # in the band: as it is
    (MIN_3PH_W + 1, 3, 3),
    (MIN_3PH_W - 1, 3, 1),  # below: one phase
])
def test_both_switches_with_a_power_hysteresis(watts: float, active: int, expected: int) -> None:
    assert Manager(mode="Both", power_hysteresis_w=BAND_W).phases(watts, active=active) == expected


def test_oneway_never_goes_back_to_three_phases_in_a_session() -> None:
    manager = Manager(mode="Oneway")
    assert manager.phases(3000.0) == 1
    assert manager.phases(11000.0, active=1) == 1
    assert manager.phases(11000.0, active=1, state="Unplugged") == 3, "a new session may"


def test_without_a_power_limit_the_most_phases_the_path_allows() -> None:
    manager = Manager(mode="Both")
    assert manager.phases(None, active=1) == 3
    assert manager.limits(None, external={"schedule_import": [{
        "timestamp": at(0), "limits_to_root": {}, "limits_to_leaves": {
            "ac_max_current_A": value(16, "API_module"), "ac_max_phase_count": value(1, "API_module"),
            "ac_min_phase_count": value(1, "API_module")}}], "schedule_export": [],
        "schedule_setpoints": []})["ac_max_phase_count"] == value(1, "API_module")


def test_back_to_three_phases_only_after_the_time_hysteresis() -> None:
    manager = Manager(mode="Both", time_hysteresis_s=600)
    assert manager.phases(11000.0, now=0.0) == 3, "a session starts without waiting"
    assert manager.phases(3000.0, now=10.0) == 1, "going down is never delayed"
    assert manager.phases(11000.0, now=20.0, active=1) == 1
    assert manager.phases(11000.0, now=609.0, active=1) == 1
    assert manager.phases(11000.0, now=610.0, active=1) == 3


@pytest.mark.parametrize(("stickyness", "expected"), [
    ("DontChange", 1), ("SinglePhase", 1), ("ThreePhase", 3)])
def test_the_most_switches_per_session_then_the_stickyness(stickyness: str, expected: int) -> None:
    manager = Manager(mode="Both", max_switches=1, stickyness=stickyness)
    assert manager.phases(3000.0, active=3) == 1
    assert manager.phases(11000.0, active=1) == expected, "one switch seen (3 -> 1): the most"
    assert manager.phases(3000.0, active=1) == expected
    assert manager.phases(11000.0, active=1, state="Finished") == 3, "counted per session"


def test_a_board_that_cannot_switch_stays_on_three_phases() -> None:
    manager = Manager(mode="Both")
    request = grid([evse(active_phases=3)], fuse_A=32, external=api_limit(3000.0, "W"))
    request["children"][0]["schedule_import"][0]["limits_to_root"]["ac_min_phase_count"] = \
        value(3, "evse/caps")
    tree = read_tree(request, NOW, "none")
    [grant] = allocate(tree, SETTINGS, manager.decider.decide(tree, 0.0))
    assert grant.phases.value == 3 and grant.amps == 0.0, "3000 W cannot give 6 A on 3 phases"
