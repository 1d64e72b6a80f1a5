"""The energy manager's budget: valid for ``valid_for`` seconds of the monotonic clock only."""

from __future__ import annotations

import logging

import pytest

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState
from pycharge.modules.EvseManager.power_budget import (
    PowerBudget,
    limit_from_enforced,
    pp_ampacity_to_ampere,
)

from .fakes import FakeClock, Rig


def test_budget_expires_to_zero_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    changes: list[float] = []
    budget = PowerBudget(clock, changes.append, logging.getLogger("test.budget"))
    assert budget.set_max_current(16.0, 10)
    assert budget.available() and changes == [16.0]
    clock.now += 10.0
    assert budget.available()  # valid up to and including valid_for
    clock.now += 0.1
    with caplog.at_level(logging.WARNING):
        for _ in range(20):
            assert not budget.available()
            clock.now += 0.1
    assert changes == [16.0, 0.0]
    assert len([r for r in caplog.records if "expired" in r.message]) == 1  # EVerest#1068
    assert budget.set_max_current(10.0, 10) and budget.available()


def test_an_already_expired_budget_is_refused() -> None:
    budget = PowerBudget(FakeClock(), lambda a: None, logging.getLogger("test.budget"))
    assert not budget.set_max_current(16.0, 0)
    assert not budget.available()


@pytest.mark.parametrize(("limits", "phases", "ampere"), [
    ({"ac_max_current_A": {"value": 16.0, "source": "x"}}, 3, 16.0),
    ({"total_power_W": {"value": 11040.0, "source": "x"}}, 3, 16.0),  # W / 230 V / 3
    ({"total_power_W": {"value": 3680.0, "source": "x"}}, 1, 16.0),
    ({"ac_max_current_A": {"value": 32.0, "source": "x"},
      "total_power_W": {"value": 11040.0, "source": "x"}}, 3, 16.0),  # the lower one wins
    ({"ac_max_current_A": {"value": 10.0, "source": "x"},
      "total_power_W": {"value": 11040.0, "source": "x"}}, 3, 10.0),
    ({}, 3, 0.0),  # no limit at all: nothing
])
def test_limit_from_enforced(limits: dict, phases: int, ampere: float) -> None:
    assert limit_from_enforced(limits, 230.0, phases) == pytest.approx(ampere)


@pytest.mark.parametrize(("ampacity", "phases", "ampere"), [
    ("None", 3, 0.0), ("A_13", 3, 13.0), ("A_20", 3, 20.0), ("A_32", 3, 32.0),
    ("A_63_3ph_70_1ph", 3, 63.0), ("A_63_3ph_70_1ph", 1, 70.0)])
def test_pp_ampacity(ampacity: str, phases: int, ampere: float) -> None:
    assert pp_ampacity_to_ampere(ampacity, phases) == ampere


def test_expiry_while_charging_pauses_and_a_new_budget_resumes() -> None:
    rig = Rig(config=ChargerConfig(disable_authentication=True))
    rig.start(16.0)
    rig.charge()
    rig.take_events()
    rig.advance(9.9)
    assert rig.state == EvseState.Charging
    rig.advance(0.3)  # no update from the energy manager for more than valid_for
    assert rig.state == EvseState.StoppingCharging
    assert rig.limits[-1] == 0.0
    rig.cp("B", "PowerOff")
    assert rig.take_events() == ["StoppingCharging", "ChargingPausedEVSE"]
    assert rig.published[-1]["charging_paused_evse"] == {"reasons": ["NoEnergy"]}
    rig.set_budget(16.0)
    rig.cp("C")
    assert rig.take_events() == ["PrepareCharging", "ChargingStarted"]


def test_socket_waits_for_the_cable_rating_and_offers_no_more_than_it() -> None:
    rig = Rig(config=ChargerConfig(disable_authentication=True))
    rig.budget.socket = True
    rig.start(32.0)
    rig.cp("B")
    assert rig.state == EvseState.WaitingForAuthentication  # no PP reading yet
    rig.charger.pp_ampere = pp_ampacity_to_ampere("A_20", 3)
    rig.charger.settle()
    assert rig.state == EvseState.PrepareCharging
    assert ("pwm_on", 33.33) in rig.board.commands  # 20 A, not the 32 A budget
    assert rig.limits[-1] == 20.0
