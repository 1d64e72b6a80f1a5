"""3ph/1ph switching of EvseManager over the bus, with the test-double board.

The unit tests (test_phase_switching.py) hold the order of every command; these prove the
wiring: enforce_limits with a phase count in, the board's phase command and the limits out,
and a fault in the middle of the sequence (relays that never open) over a real mosquitto.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Mosquitto
from tests.modules.evse_manager.test_bus import Stack, started
from tests.support.probe import Probe

DELAY_S = 1  # switch_3ph1ph_delay_s, short for the test
SWITCH = "ac_switch_three_phases_while_charging"


@pytest.fixture
def charging(tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> Iterator[Stack]:
    """A session charging at 16 A on a board that can switch phases."""
    with started(tmp_path, mosquitto, probe, switch_3ph1ph_delay_s=DELAY_S) as stack:
        stack.wait(lambda: True in stack.var("connector", "evse", "ready"), "EvseManager ready")
        stack.board("can_switch_phases")
        stack.wait(lambda: stack.var("connector", "evse", "hw_capabilities")[-1][
            "supports_changing_phases_during_charging"], "capabilities with switching")
        enforce(stack, 3)
        stack.board("set_cp", "B")
        stack.wait(lambda: stack.board_commands("pwm_on"), "PWM on")
        stack.board("set_cp", "C")
        stack.wait(lambda: stack.manager.host("bsp").module.relays, "relays closed")
        yield stack


def enforce(stack: Stack, phases: int) -> None:
    stack.command("energy_grid", "enforce_limits", value={
        "uuid": "connector", "valid_for": 30, "schedule": [], "limits_root_side": {
            "ac_max_current_A": {"value": 16.0, "source": "test"},
            "ac_max_phase_count": {"value": phases, "source": "test"}}})


def test_switching_to_one_phase_over_the_bus(charging: Stack) -> None:
    stack, board = charging, charging.manager.host("bsp").module
    pwm_before = len(stack.board_commands("pwm_on"))
    enforce(stack, 1)
    stack.wait(lambda: "SwitchingPhases" in stack.events(), "SwitchingPhases")
    stack.wait(lambda: not board.relays and board.duty == 100.0, "relays open, X1")
    stack.board("set_cp", "B")
    stack.wait(lambda: stack.board_commands(SWITCH) == [{"value": False}], "phase command")
    assert board.phases == 1
    stack.wait(lambda: stack.var("connector", "evse", "limits")[-1]["nr_of_phases_available"]
               == 1, "one phase in the limits")
    stack.wait(lambda: len(stack.board_commands("pwm_on")) > pwm_before, "PWM back")
    stack.wait(lambda: stack.events()[-2:] == ["SwitchingPhases", "PrepareCharging"],
               "PrepareCharging after the switch")
    stack.board("set_cp", "C")
    stack.wait(lambda: board.relays, "relays closed again")
    stack.wait(lambda: stack.events()[-3:] == ["SwitchingPhases", "PrepareCharging",
                                               "ChargingStarted"], "ChargingStarted")


def test_relays_that_never_open_stop_the_switch_with_an_error(charging: Stack) -> None:
    stack, board = charging, charging.manager.host("bsp").module
    stack.board("weld")
    pwm_before = len(stack.board_commands("pwm_on"))
    enforce(stack, 1)
    stack.wait(lambda: "SwitchingPhases" in stack.events(), "SwitchingPhases")
    stack.board("set_cp", "B")  # the car obeys X1, but the relays stay closed (no PowerOff)
    stack.wait(lambda: stack.active_errors("evse_manager/Internal"), "Internal raised")
    assert "relays are not confirmed open" in \
        stack.active_errors("evse_manager/Internal")[0]["message"]
    stack.wait(lambda: stack.active_errors("evse_manager/Inoperative"), "inoperative")
    time.sleep(0.5)  # a PWM or phase command now would be sent within a tick (0.1 s)
    assert stack.board_commands(SWITCH) == [], "the phase relay must not be switched"
    assert len(stack.board_commands("pwm_on")) == pwm_before and board.duty == 100.0
    assert stack.board_commands("allow_power_on")[-1]["value"]["allow_power_on"] is False
