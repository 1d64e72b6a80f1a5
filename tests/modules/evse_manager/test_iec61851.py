"""The IEC 61851-1 layer: raw CP states in, CP events and board commands out (table-driven).

Each case is a list of steps; a step is an input and the events and board commands it must
produce (exactly, in order). Numbers from IEC 61851-1 Table A.6 as in anchors.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from pycharge.modules.EvseManager.iec61851 import CpEvent, IecStateMachine

from .fakes import FakeClock, RecordingBoard

E = CpEvent
OFF = ("allow_power_on", False)
ON = ("allow_power_on", True)

# (name, has_ventilation, [(input, expected events, expected board commands)])
# inputs: "A".."F", "PowerOn", "PowerOff" (board events); ("pwm", %), "x1", "f",
# ("allow", bool); ("wait", seconds) = move the clock and poll.
CASES: list[tuple[str, bool, list[tuple[Any, list[CpEvent], list[tuple[Any, ...]]]]]] = [
    ("plug in, request power, power on in C2 only", False, [
        ("A", [], [("X1",), OFF]),
        ("B", [E.CarPluggedIn], [("lock",)]),
        (("allow", True), [], []),  # allowed in B: nothing switches yet
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        ("C", [E.CarRequestedPower], [ON]),  # Table A.6 sequence 4
    ]),
    ("the car stops: relays off at once (sequence 8.1)", False, [
        ("A", [], [("X1",), OFF]),
        ("B", [E.CarPluggedIn], [("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),
        ("C", [E.CarRequestedPower], [ON]),
        ("PowerOn", [E.PowerOn], []),
        ("B", [E.CarRequestedStopPower], [OFF]),
        ("PowerOff", [E.PowerOff], []),
    ]),
    ("unplug in C: PWM off, relays off, unlock (sequence 2.2)", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        ("C", [E.CarRequestedPower], []),
        ("A", [E.CarUnplugged], [("X1",), OFF, ("unlock",)]),
    ]),
    ("plugged straight into C: simplified mode fakes the power request", False, [
        ("A", [], [("X1",), OFF]),
        ("C", [E.CarPluggedIn], [("lock",)]),
        (("pwm", 26.67), [E.CarRequestedPower], [("pwm_on", 26.67)]),
    ]),
    ("state E from C: PWM off, relays off", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        ("C", [E.CarRequestedPower], []),
        ("E", [E.BCDtoEF, E.BCDtoE], [("X1",), OFF, ("unlock",)]),
    ]),
    ("state F from B, then back to B", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        ("F", [E.BCDtoEF], [OFF]),
        ("B", [E.CarRequestedStopPower, E.EFtoBCD], [OFF]),
    ]),
    ("state F before any car, then a car in B", False, [
        ("F", [], [OFF]),
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn, E.EFtoBCD], [OFF, ("lock",)]),
    ]),
    ("a permission given while the pilot still shows F holds for the C that follows", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        ("C", [E.CarRequestedPower], []),
        ("F", [E.BCDtoEF], [OFF]),  # e.g. an RCM trip, then its release
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),  # the charger resumed before the board reported C
        ("C", [E.CarRequestedPower], [ON]),  # the car in C asks again, the permission holds
    ]),
    ("the board opened on its own (a lost heartbeat): power is asked for again", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),
        ("C", [E.CarRequestedPower], [ON]),
        ("PowerOn", [E.PowerOn], []),
        ("PowerOff", [E.PowerOff], [ON]),
    ]),
    ("state D without ventilation: no power, no events", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),
        ("D", [], [OFF]),
    ]),
    ("state D with ventilation counts as C", True, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),
        ("D", [E.CarRequestedPower], [ON]),
    ]),
    ("PWM stops while the car stays in C: off under load after 6 s (sequence 10.2)", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),
        ("C", [E.CarRequestedPower], [ON]),
        ("x1", [], [("X1",)]),
        (("wait", 5.9), [], []),
        (("wait", 0.1), [], [OFF]),
    ]),
    ("PWM comes back in C before 6 s: the timer stops, power on again", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),
        ("C", [E.CarRequestedPower], [ON]),
        ("x1", [], [("X1",)]),
        (("wait", 3.0), [], []),
        (("pwm", 26.67), [], [("pwm_on", 26.67), ON]),
        ("PowerOn", [E.PowerOn], []),
        (("wait", 10.0), [], []),
    ]),
    ("no power on with a constant level (100 % is not PWM)", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 100.0), [], [("pwm_on", 100.0)]),
        (("allow", True), [], []),
        ("C", [E.CarRequestedPower], []),
    ]),
    ("the connector unlocks 5 s into state F", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        ("f", [], [("F",)]),
        ("F", [E.BCDtoEF], [OFF]),
        (("wait", 4.9), [], []),
        (("wait", 0.2), [], [("unlock",)]),
    ]),
    ("any other board event (Disconnected) counts as no pilot: off and unlocked", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        ("Disconnected", [], [("X1",), OFF, ("unlock",)]),
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
    ]),
    ("the lock is held while the relays are on", False, [
        ("B", [E.CarRequestedStopPower, E.CarPluggedIn], [OFF, ("lock",)]),
        (("pwm", 26.67), [], [("pwm_on", 26.67)]),
        (("allow", True), [], []),
        ("C", [E.CarRequestedPower], [ON]),
        ("PowerOn", [E.PowerOn], []),
        ("A", [E.CarUnplugged], [("X1",), OFF]),  # no unlock: the relays are still on
        ("PowerOff", [E.PowerOff], [("unlock",)]),
    ]),
]


def _apply(iec: IecStateMachine, clock: FakeClock, step: Any) -> None:
    if isinstance(step, str) and step in ("x1", "f"):
        (iec.set_x1 if step == "x1" else iec.set_f)()
    elif isinstance(step, str):
        iec.bsp_event(step)
    elif step[0] == "pwm":
        iec.set_pwm(step[1])
    elif step[0] == "allow":
        iec.allow_power_on(step[1], "FullPowerCharging")
    elif step[0] == "wait":
        clock.now += step[1]
        iec.poll()


@pytest.mark.parametrize(("name", "ventilation", "steps"), CASES, ids=[c[0] for c in CASES])
def test_iec_layer(name: str, ventilation: bool, steps: list) -> None:
    clock = FakeClock()
    board = RecordingBoard()
    iec = IecStateMachine(board, clock, True, ventilation, False)
    iec.enable(True)
    board.take()
    for number, (step, events, commands) in enumerate(steps):
        _apply(iec, clock, step)
        got_events = list(iec.events)
        iec.events.clear()
        assert (got_events, board.take()) == (events, commands), f"step {number}: {step}"


def test_board_events_before_enable_are_ignored_but_relay_feedback_counts():
    board = RecordingBoard()
    iec = IecStateMachine(board, FakeClock(), True, False, False)
    iec.bsp_event("B")
    iec.bsp_event("PowerOff")
    assert list(iec.events) == [E.PowerOff]
    assert board.commands == []
    iec.enable(True)
    iec.bsp_event("B")  # the board re-publishes its state after enable(true)
    assert list(iec.events)[1:] == [E.CarRequestedStopPower, E.CarPluggedIn]


def test_simplified_mode_limit_10a_caps_the_duty_cycle():
    board = RecordingBoard()
    iec = IecStateMachine(board, FakeClock(), True, False, simplified_mode_limit_10a=True)
    iec.enable(True)
    iec.bsp_event("C")  # plugged straight into C
    board.take()
    iec.set_pwm(53.33)
    assert board.take()[0] == ("pwm_on", 16.67)


def test_force_unlock_only_with_relays_off():
    board = RecordingBoard()
    iec = IecStateMachine(board, FakeClock(), True, False, False)
    iec.enable(True)
    iec.bsp_event("B")
    iec.bsp_event("PowerOn")
    board.take()
    iec.force_unlock()
    assert ("unlock",) not in board.take()  # the relays are on: keep locked
    iec.bsp_event("PowerOff")
    assert board.take() == [("unlock",)]  # forced unlock holds while the car stays in B


def test_a_permission_the_board_did_not_act_on_is_renewed():
    """After a reconnect the board refuses a close until our heartbeat is back, and forgets
    the refusal: the permission is asked for again every few seconds until the relays close."""
    clock = FakeClock()
    board = RecordingBoard()
    iec = IecStateMachine(board, clock, True, False, False)
    iec.enable(True)
    iec.bsp_event("B")
    iec.set_pwm(26.7)
    iec.allow_power_on(True, "FullPowerCharging")
    iec.bsp_event("C")
    assert ("allow_power_on", True) in board.take()
    clock.now += 4.9
    iec.poll()
    assert board.take() == []
    clock.now += 0.1
    iec.poll()
    assert board.take() == [("allow_power_on", True)]
    iec.bsp_event("PowerOn")
    clock.now += 60
    iec.poll()
    assert board.take() == []  # closed: nothing to renew


def test_after_a_board_restart_c_asks_for_power_again():
    """The new board may report C as its first state (the car answered the new pilot before
    the board's first confirmed sample): that is a new request, not a C that went on."""
    board = RecordingBoard()
    iec = IecStateMachine(board, FakeClock(), True, False, False)
    iec.enable(True)
    iec.bsp_event("B")
    iec.bsp_event("C")
    iec.bsp_event("PowerOn")
    iec.events.clear()
    iec.board_restarted()
    iec.bsp_event("C")
    assert list(iec.events) == [E.CarRequestedPower]


def test_a_stale_f_before_the_resent_pwm_does_not_lose_the_pwm():
    """A restarted board gets F and then the PWM from us, and may confirm the F after the PWM
    was sent: out of F the pilot carries the PWM, and the car in C gets power again."""
    board = RecordingBoard()
    iec = IecStateMachine(board, FakeClock(), True, False, False)
    iec.enable(True)
    iec.bsp_event("B")
    iec.set_f()
    iec.set_pwm(26.67)
    iec.bsp_event("F")
    iec.bsp_event("C")
    assert E.CarRequestedPower in iec.events
    board.take()
    iec.allow_power_on(True, "FullPowerCharging")
    assert board.take() == [("allow_power_on", True)]


def test_out_of_f_the_pilot_does_not_get_back_a_pwm_that_state_e_stopped():
    """State E stops the PWM itself (X1 to the board); an F after it and then B must not bring
    back a PWM the board no longer carries."""
    iec = IecStateMachine(RecordingBoard(), FakeClock(), True, False, False)
    iec.enable(True)
    iec.bsp_event("B")
    iec.set_pwm(26.67)
    iec.bsp_event("E")
    iec.bsp_event("F")
    iec.bsp_event("B")
    assert iec.pwm_running is False
