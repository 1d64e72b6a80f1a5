"""The plug lock's windows, capacitor wait, motor sequences and monitor, on the simulated lock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pycharge.modules.CbTarragonPlugLock.actuator import (
    CAP_NOT_CHARGED,
    FAILED_LOCK,
    FAILED_UNLOCK,
    LOCK,
    UNEXPECTED_CLOSE,
    UNEXPECTED_OPEN,
    UNLOCK,
    LockActuator,
)
from pycharge.modules.CbTarragonPlugLock.lock_sense import (
    Window,
    adc_to_capacitor_mv,
    adc_to_sense_mv,
    windows,
)
from pycharge.modules.CbTarragonPlugLock.motor import Drv8872
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.errors import ErrorState
from pycharge.simulation.board import Board
from pycharge.simulation.plug_lock import LockElectrics
from tests.modules.board.support import sim_board
from tests.support.clocks import ManualClock

DEFAULTS = {"unlocked_threshold_voltage_min": 2900, "unlocked_threshold_voltage_max": 3300,
            "locked_threshold_voltage_min": 0, "locked_threshold_voltage_max": 850}


def test_conversions() -> None:
    assert adc_to_sense_mv(4095) == 3300
    assert adc_to_sense_mv(1241) == 1000
    assert adc_to_capacitor_mv(4095) == 13500
    assert adc_to_capacitor_mv(3000) == 2417 * 90 // 22


def test_windows_are_inclusive() -> None:
    unlocked, locked = windows(DEFAULTS)
    assert 2900 in unlocked and 3300 in unlocked and 2899 not in unlocked
    assert 0 in locked and 850 in locked and 851 not in locked


@pytest.mark.parametrize(("key", "value", "message"), [
    ("locked_threshold_voltage_min", 900, "above locked_threshold_voltage_max"),
    ("unlocked_threshold_voltage_max", 3301, "outside 0..3300"),
    ("unlocked_threshold_voltage_min", -1, "outside 0..3300"),
])
def test_invalid_windows_are_refused(key: str, value: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        windows({**DEFAULTS, key: value})


# Time moves in steps of 1/64 s and the lock travels in 0.25 s: both exact in binary, so the
# simulated lock reaches its end stops exactly. (The model's end-stop arithmetic can otherwise
# loop forever on a rounding error; reported to the simulation's owner.)
STEP = 1 / 64
TRAVEL_S = 0.25


class Timers:
    """Runs scheduled callbacks as the manual clock passes their time (like module timers)."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.due: list[tuple[float, Callable[[], None]]] = []

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self.due.append((self.clock.now + delay, callback))

    def run_for(self, seconds: float, step: float = STEP) -> None:
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.clock.advance(step)
            ready = [d for d in self.due if d[0] <= self.clock.now]
            self.due = [d for d in self.due if d[0] > self.clock.now]
            for _, callback in sorted(ready, key=lambda d: d[0]):
                callback()


def errors() -> ErrorState:
    allowed = Definitions.load().interfaces["connector_lock"].errors
    state = ErrorState({}, allowed, lambda t: "", lambda t: t, lambda topic, payload: None)
    return state


class Sink:
    """The ErrorState behind the connector_lock implementation, with its call signature."""

    def __init__(self) -> None:
        self.state = errors()

    def raise_error(self, error_type, message="", sub_type="", severity="High"):
        return self.state.raise_error(error_type, message, sub_type, severity)

    def clear_error(self, error_type, sub_type=None):
        return self.state.clear(error_type, sub_type)

    def error_active(self, error_type, sub_type=None) -> bool:
        return self.state.is_active(error_type, sub_type)

    def active(self) -> dict[str, tuple[str, str]]:
        return {e.type: (e.severity, e.message) for e in self.state.active()}


@dataclass
class LockRig:
    clock: ManualClock
    board: Board
    timers: Timers
    sink: Sink
    actuator: LockActuator


def lock_rig(charged_mv: int = 10000) -> LockRig:
    clock, board, hal = sim_board(lock=LockElectrics(travel_s=TRAVEL_S))
    motor = Drv8872(hal.gpio_output("MOTOR_1_DRIVER_IN1_N", active_low=True),
                    hal.gpio_output("MOTOR_1_DRIVER_IN2"))
    sense, caps = hal.adc("2198000.adc", "voltage0"), hal.adc("2198000.adc", "voltage4")
    timers, sink = Timers(clock), Sink()
    unlocked, locked = windows(DEFAULTS)
    actuator = LockActuator(motor, lambda: adc_to_sense_mv(sense.read_raw()),
                            lambda: adc_to_capacitor_mv(caps.read_raw()), unlocked, locked, 0.6,
                            charged_mv, timers.schedule, clock.monotonic, sink,
                            logging.getLogger("test.lock"))
    return LockRig(clock, board, timers, sink, actuator)


def motor_modes(board) -> list[str]:
    return [e.value for e in board.log.events("lock", "motor")]


def test_start_up_waits_for_the_capacitor_then_unlocks() -> None:
    r = lock_rig()
    powered = r.clock.now
    r.actuator.start_up()
    r.timers.run_for(1.0)
    assert motor_modes(r.board) == [], "the capacitor (tau 1 s) is not at 10 V yet"
    r.timers.run_for(2.0)
    forward = r.board.log.first("lock", "motor", "forward")
    brake = r.board.log.first("lock", "motor", "brake")
    # 12.5 V x (1 - e^-t) >= 10 V from t = 1.61 s; polled every 100 ms
    assert 1.6 <= forward.time - powered <= 1.75
    assert brake.time - forward.time == pytest.approx(0.6, abs=0.011)
    assert r.actuator.started and not r.actuator.assumed_locked and r.sink.active() == {}


def test_start_up_gives_up_after_400_s_with_a_high_error() -> None:
    r = lock_rig(charged_mv=13000)  # above the 12.5 V supply
    start = r.clock.now
    r.actuator.start_up()
    r.timers.run_for(399.0, step=1 / 8)
    assert motor_modes(r.board) == []
    r.timers.run_for(2.0, step=1 / 8)
    assert r.sink.active() == {CAP_NOT_CHARGED: ("High", "Initial capacitor voltage not reached")}
    assert r.board.log.first("lock", "motor", "forward").time - start == pytest.approx(400, abs=0.2)


def started(charged_mv: int = 10000) -> LockRig:
    rig = lock_rig(charged_mv)
    rig.actuator.start_up()
    rig.timers.run_for(3.0)
    rig.board.log.clear()
    return rig


def test_lock_drives_backward_then_brakes_and_checks_the_window() -> None:
    r = started()
    r.actuator.request(LOCK)
    r.timers.run_for(1.0)
    assert motor_modes(r.board) == ["backward", "brake"]
    assert r.board.snapshot()["lock"]["state"] == "locked"
    assert r.actuator.assumed_locked and r.sink.active() == {}


def test_jammed_lock_raises_failed_lock_and_unlock_clears_it() -> None:
    r = started()
    r.board.set_fault("lock_jammed", True)
    r.actuator.request(LOCK)
    r.timers.run_for(1.0)
    assert r.sink.active() == {FAILED_LOCK: ("Medium", "Plug is not locked")}
    assert not r.actuator.assumed_locked
    r.board.set_fault("lock_jammed", False)
    r.actuator.request(UNLOCK)
    r.timers.run_for(1.0)
    assert r.sink.active() == {}


def test_lock_jammed_while_locked_raises_failed_unlock() -> None:
    r = started()
    r.actuator.request(LOCK)
    r.timers.run_for(1.0)
    r.board.set_fault("lock_jammed", True)
    r.actuator.request(UNLOCK)
    r.timers.run_for(1.0)
    assert r.sink.active() == {FAILED_UNLOCK: ("Medium", "Plug is not unlocked")}
    assert r.actuator.assumed_locked


def test_request_during_a_motion_runs_after_it() -> None:
    r = started()
    r.actuator.request(LOCK)
    r.timers.run_for(0.2)
    r.actuator.request(UNLOCK)
    r.timers.run_for(2.0)
    assert motor_modes(r.board) == ["backward", "brake", "forward", "brake"]
    assert not r.actuator.assumed_locked


def test_uncharged_capacitor_raises_medium_after_5_s_and_drives_anyway() -> None:
    r = started()
    r.board.plug_lock.powered_at = r.clock.now  # the 12 V supply just came back: caps empty
    start = r.clock.now
    r.actuator.request(LOCK)
    r.timers.run_for(1.0)
    assert motor_modes(r.board) == []
    r.actuator.charged_mv = 13000  # this actuator's capacitor never gets there
    r.timers.run_for(5.0)
    assert r.sink.active()[CAP_NOT_CHARGED][0] == "Medium"
    assert r.board.log.first("lock", "motor", "backward").time - start == pytest.approx(5.0, abs=0.11)
    r.timers.run_for(1.0)
    assert r.actuator.assumed_locked
    r.actuator.charged_mv = 10000
    r.actuator.request(UNLOCK)
    r.timers.run_for(1.0)
    assert CAP_NOT_CHARGED not in r.sink.active()


def test_monitor_sees_a_lock_forced_open_and_back() -> None:
    r = started()
    r.actuator.request(LOCK)
    r.timers.run_for(1.0)
    r.actuator.monitor()
    assert r.sink.active() == {}
    r.actuator.motor.set("forward")  # pulled open by force
    r.timers.run_for(0.5)
    r.actuator.monitor()
    assert r.sink.active() == {UNEXPECTED_OPEN: ("High", "Plug lock opened unexpectedly")}
    r.actuator.motor.set("backward")
    r.timers.run_for(0.5)
    r.actuator.monitor()
    assert r.sink.active() == {}


def test_monitor_sees_an_unlocked_lock_closing() -> None:
    r = started()
    r.actuator.motor.set("backward")
    r.timers.run_for(0.5)
    r.actuator.monitor()
    assert r.sink.active() == {UNEXPECTED_CLOSE: ("High", "Plug lock closed unexpectedly")}


def test_monitor_is_quiet_during_a_motion() -> None:
    r = started()
    r.actuator.request(LOCK)
    r.timers.run_for(0.15)
    r.actuator.monitor()
    assert r.sink.active() == {}


def test_window_membership_needs_an_integer() -> None:
    assert 1.5 not in Window(0, 3300)


def test_carsim_lock_faults_are_caught_by_the_monitor() -> None:
    """carsim's lock_ConnectorLockUnexpectedOpen / ...Close: the lock is held at the other end."""
    r = started()
    r.actuator.request(LOCK)
    r.timers.run_for(1.0)
    r.board.set_fault("lock_forced_open", True)
    r.actuator.monitor()
    assert r.sink.active() == {UNEXPECTED_OPEN: ("High", "Plug lock opened unexpectedly")}
    r.board.set_fault("lock_forced_open", False)
    r.actuator.request(UNLOCK)
    r.timers.run_for(1.0)
    r.board.set_fault("lock_forced_closed", True)
    r.actuator.monitor()
    assert UNEXPECTED_CLOSE in r.sink.active()


def test_carsim_dead_capacitor_is_caught() -> None:
    """carsim's lock_ConnectorLockCapNotCharged: the backup capacitor never charges."""
    r = started()
    r.board.set_fault("lock_capacitor_dead", True)
    r.actuator.request(LOCK)
    r.timers.run_for(6.0)
    assert r.sink.active()[CAP_NOT_CHARGED][0] == "Medium"
