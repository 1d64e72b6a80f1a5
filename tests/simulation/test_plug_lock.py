"""The lock motor on X9 driven like CbTarragonPlugLock does, its feedback and its capacitor."""

from __future__ import annotations

import pytest

from pycharge.simulation.adc_scaling import capacitor_mv, sense_mv
from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal
from tests.support.clocks import ManualClock

LOCKED = (0, 850)
UNLOCKED = (2900, 3300)


class Lock:
    def __init__(self, hal: SimHal, clock: ManualClock) -> None:
        self.clock = clock
        self.in1 = hal.gpio_output("MOTOR_1_DRIVER_IN1_N", active_low=True)
        self.in2 = hal.gpio_output("MOTOR_1_DRIVER_IN2")
        self.sense = hal.adc("2198000.adc", "voltage0")
        self.caps = hal.adc("2198000.adc", "voltage4")

    def drive(self, in1: bool, in2: bool, seconds: float) -> int:
        self.in1.write(in1)
        self.in2.write(in2)
        self.clock.now += seconds
        self.in1.write(True)
        self.in2.write(True)  # brake
        return sense_mv(self.sense.read_raw())


@pytest.fixture
def lock(hal: SimHal, clock: ManualClock) -> Lock:
    return Lock(hal, clock)


def in_window(value: int, window: tuple[int, int]) -> bool:
    return window[0] <= value <= window[1]


def test_starts_unlocked_and_coasting(board: Board, lock: Lock) -> None:
    assert in_window(sense_mv(lock.sense.read_raw()), UNLOCKED)
    assert board.plug_lock.motor == "coast"


def test_lock_then_unlock_with_chargebytes_600_ms(board: Board, lock: Lock) -> None:
    assert in_window(lock.drive(False, True, 0.6), LOCKED)
    assert board.log.last("lock", "state").value == "locked"
    assert in_window(lock.drive(True, False, 0.6), UNLOCKED)
    assert [e.value for e in board.log.events("lock", "motor")] == \
        ["backward", "brake", "forward", "brake"]


def test_half_way_is_in_neither_window(lock: Lock) -> None:
    halfway = lock.drive(False, True, 0.15)
    assert not in_window(halfway, LOCKED) and not in_window(halfway, UNLOCKED)


def test_end_stop_is_logged_at_its_own_time(board: Board, lock: Lock) -> None:
    lock.drive(False, True, 0.6)
    locked = board.log.last("lock", "state")
    assert locked.value == "locked" and locked.time == pytest.approx(0.3)


def test_a_jammed_lock_does_not_move(board: Board, lock: Lock) -> None:
    board.set_fault("lock_jammed", True)
    assert in_window(lock.drive(False, True, 0.6), UNLOCKED)


def test_capacitor_charges_over_time(lock: Lock, clock: ManualClock) -> None:
    readings = []
    for _ in range(5):
        readings.append(capacitor_mv(lock.caps.read_raw()))
        clock.now += 0.5
    assert readings[0] < 100
    assert readings == sorted(readings)
    assert readings[2] < 10_000 <= readings[4]  # charged (chargebyte's threshold) after ~1.6 s
    clock.now += 10
    assert capacitor_mv(lock.caps.read_raw()) == pytest.approx(12_500, abs=15)


def test_the_lock_lands_exactly_on_its_end_stop() -> None:
    """Rounding once left the position a hair short and the same change due forever."""
    from pycharge.simulation.plug_lock import PlugLock

    lock = PlugLock(100.0)
    lock.set_motor("backward", 100.0)
    assert lock.apply_due(101.0)
    assert lock.next_change() is None
    assert lock.state(101.0) == "locked"
