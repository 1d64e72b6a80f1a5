"""3ph/1ph switching in EvseManager: the order of relays, pilot and phase command, and faults.

The charger runs on the test's clock with a board that records every command; the board's
answer to the phase command comes when the test gives it.
"""

from __future__ import annotations

import pytest

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState
from pycharge.modules.EvseManager.error_handling import INOPERATIVE, INTERNAL
from pycharge.modules.EvseManager.phase_switching import (
    OPEN_CONFIRM_S,
    PhaseSwitchConfig,
    PhaseSwitching,
)

from .fakes import Rig

S = EvseState
DELAY_S = 10.0
SWITCH = "switch_three_phases"


def rig_with_phases(cp_state_f: bool = False, delay_s: float = DELAY_S) -> tuple[Rig, list[int]]:
    """A charger that can switch phases; the list collects the counts the board accepted."""
    rig = Rig(config=ChargerConfig(disable_authentication=True))
    switched: list[int] = []
    rig.charger.phase_switch = PhaseSwitching(rig.charger, rig.board,
                                              PhaseSwitchConfig(delay_s, cp_state_f),
                                              switched.append)
    rig.start(16.0)
    rig.set_budget(16.0, valid_for=1000)
    return rig, switched


def charging(cp_state_f: bool = False) -> tuple[Rig, list[int]]:
    rig, switched = rig_with_phases(cp_state_f)
    rig.charge()
    rig.board.take()
    rig.take_events()
    return rig, switched


def request(rig: Rig, phases: int, active: int = 3) -> int:
    used = rig.charger.phase_switch.enforce(phases, active, True)
    rig.charger.settle()
    return used


def switches(commands: list[tuple]) -> list[tuple]:
    return [c for c in commands if c[0] == SWITCH]


def no_pwm_after(commands: list[tuple], index: int) -> bool:
    return not any(c[0] == "pwm_on" for c in commands[index:])


@pytest.mark.parametrize(("cp_state_f", "pilot"), [(False, "X1"), (True, "F")])
def test_switching_while_charging_opens_pauses_switches_and_resumes(cp_state_f: bool,
                                                                    pilot: str) -> None:
    rig, switched = charging(cp_state_f)
    assert request(rig, 1) == 1, "the limit is for the new count"
    assert rig.state == S.SwitchPhases
    assert rig.take_events() == ["SwitchingPhases"]
    assert rig.board.take() == [("allow_power_on", False), (pilot,)], \
        "the relays must be told to open before the pilot changes"
    rig.cp(pilot if cp_state_f else "B", "PowerOff")
    rig.board.take()  # the IEC layer's own off in B or F
    rig.advance(DELAY_S - 0.2)
    assert SWITCH not in [c[0] for c in rig.board.commands], "switched before the pause ended"
    rig.advance(0.3)
    assert switches(rig.board.take()) == [(SWITCH, False)]
    assert rig.state == S.SwitchPhases, "no PWM before the board answered"
    rig.board.answer(None)
    assert switched == [1]
    assert rig.board.take() == [("pwm_on", 26.67)], "PWM back, relays not yet"
    rig.cp("C")  # the car sees the PWM and asks for power again
    assert rig.state == S.Charging and rig.board.power() == [True]
    assert rig.take_events() == ["PrepareCharging", "ChargingStarted"]


def test_no_phase_command_while_the_relays_are_not_confirmed_open() -> None:
    """The car ignores X1 and the board never confirms the open: after the pause the relays
    are switched off again, no phase command is sent, the PWM stays off, an error is raised."""
    rig, switched = charging()
    request(rig, 1)
    rig.board.take()
    rig.advance(DELAY_S + 0.2)
    commands = rig.board.take()
    assert SWITCH not in [c[0] for c in commands]
    assert ("allow_power_on", False) in commands and no_pwm_after(commands, 0)
    assert {INTERNAL, INOPERATIVE} <= rig.own.types()
    assert "relays are not confirmed open" in rig.own.errors[(INTERNAL, "")].message
    assert rig.state in (S.StoppingCharging, S.ChargingPausedEVSE)
    rig.advance(30.0)
    assert switched == [] and no_pwm_after(rig.board.take(), 0)


def test_the_open_is_awaited_at_least_open_confirm_s_with_no_delay() -> None:
    rig, _ = rig_with_phases(delay_s=0.0)
    rig.charge()
    request(rig, 1)
    rig.board.take()
    rig.advance(OPEN_CONFIRM_S - 0.2)
    assert INTERNAL not in rig.own.types() and rig.board.commands == []
    rig.cp("B", "PowerOff")
    assert switches(rig.board.take()) == [(SWITCH, False)], "sent once the open is confirmed"


def test_a_failing_phase_command_stops_with_relays_open_pwm_off_and_an_error() -> None:
    rig, switched = charging()
    request(rig, 1)
    rig.cp("B", "PowerOff")
    rig.advance(DELAY_S + 0.1)
    rig.board.take()
    rig.board.answer("CmdTimeout: no answer in time")
    commands = rig.board.take()
    assert switched == []
    assert ("allow_power_on", False) in commands and no_pwm_after(commands, 0)
    assert "did not take 1 phase(s): CmdTimeout" in rig.own.errors[(INTERNAL, "")].message
    assert rig.state == S.ChargingPausedEVSE
    rig.advance(30.0)
    assert no_pwm_after(rig.board.take(), 0), "inoperative: no PWM until the car leaves"
    rig.cp("A")
    assert INTERNAL not in rig.own.types(), "the session's error clears on unplug"


def test_repeated_and_changed_requests_during_the_switch() -> None:
    rig, switched = charging()
    request(rig, 1)
    rig.cp("B", "PowerOff")
    rig.advance(5.0)
    request(rig, 1)  # the energy manager repeats itself every second
    assert rig.take_events() == ["SwitchingPhases"], "one switch, not a new one per request"
    rig.advance(DELAY_S - 5.0 + 0.1)
    assert switches(rig.board.take()) == [(SWITCH, False)], \
        "the pause did not restart"
    request(rig, 3)  # changed its mind while the board is busy
    rig.board.answer(None)
    assert switched == [1] and rig.state == S.SwitchPhases
    rig.advance(0.1)
    assert rig.board.take() == [(SWITCH, True)]
    rig.board.answer(None)
    assert switched == [1, 3] and rig.state == S.PrepareCharging


def test_unplugging_during_the_pause_sends_no_phase_command() -> None:
    rig, switched = charging()
    request(rig, 1)
    rig.cp("B", "PowerOff", "A")
    rig.advance(DELAY_S + 1.0)
    assert SWITCH not in [c[0] for c in rig.board.take()]
    assert rig.state == S.Idle and switched == []


def test_outside_charging_the_board_is_told_only_with_the_relays_open() -> None:
    rig, switched = rig_with_phases()
    rig.cp("B")  # PrepareCharging, relays open
    rig.board.take()
    assert request(rig, 1) == 1
    assert rig.board.take() == [(SWITCH, False)] and rig.state == S.PrepareCharging
    rig.board.answer(None)
    assert switched == [1]
    rig.cp("C", "PowerOn")
    rig.charger.auth.pause(True)
    rig.charger.settle()
    assert rig.state == S.StoppingCharging  # the relays are not confirmed open yet
    rig.board.take()
    assert request(rig, 3, active=1) == 1, "refused while the relays may be closed"
    assert SWITCH not in [c[0] for c in rig.board.take()]
    rig.cp("B", "PowerOff")
    assert request(rig, 3, active=1) == 3
    assert switches(rig.board.take()) == [(SWITCH, True)]


def test_a_failing_phase_command_outside_charging_keeps_the_phases_and_tries_again() -> None:
    rig, switched = rig_with_phases()
    assert request(rig, 1) == 1
    rig.board.take()
    rig.board.answer("HandlerException: boom")
    assert switched == [] and rig.own.types() == set() and rig.state == S.Idle
    assert request(rig, 1) == 1
    assert switches(rig.board.take()) == [(SWITCH, False)], "asked again"
    rig.board.answer(None)
    assert switched == [1]


def test_a_board_that_cannot_switch_keeps_its_phases_and_says_so_once(
        caplog: pytest.LogCaptureFixture) -> None:
    rig, _ = charging()
    for _ in range(3):
        assert rig.charger.phase_switch.enforce(1, 3, False) == 3
    assert rig.state == S.Charging and rig.board.take() == []
    assert caplog.text.count("cannot switch phases") == 1


@pytest.mark.parametrize(("max_phases", "expected"), [(None, 3), (3, 3), (2, 1), (1, 1)])
def test_the_limit_is_for_the_phases_the_charger_will_use(max_phases: int | None,
                                                          expected: int) -> None:
    rig, _ = rig_with_phases()
    assert rig.charger.phase_switch.enforce(max_phases, 3, True) == expected
