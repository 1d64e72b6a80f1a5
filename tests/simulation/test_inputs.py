"""Digital inputs against the DI reference PWM, and the RCM on DIGITAL_IN_2."""

from __future__ import annotations

from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal
from tests.support.clocks import ManualClock


def test_threshold_comes_from_the_reference_pwm(board: Board, hal: SimHal) -> None:
    din = hal.gpio_input("DIGITAL_IN_4")
    board.set_input_volts(4, 5.0)
    assert din.read()  # reference off: threshold 0 V
    reference = hal.pwm("2084000.pwm", 0)
    reference.period_ns = 40_000
    reference.duty_cycle_ns = 20_000  # CbTarragonDIs' default: 6000 mV
    reference.enabled = True
    assert not din.read()
    board.set_input_volts(4, 6.5)
    assert din.read()


def test_rcm_trips_at_6_ma_and_drives_digital_in_2(board: Board, hal: SimHal,
                                                   clock: ManualClock) -> None:
    rcm = hal.gpio_input("DIGITAL_IN_2")
    clock.now = 1.0
    board.set_residual_current(5.9)
    assert not rcm.read()
    clock.now = 2.0
    board.set_residual_current(6.0)
    assert rcm.read()
    assert board.log.last("rcm", "tripped").time == 2.0
    assert board.log.last("DIGITAL_IN_2", "level").value is True
    board.set_residual_current(0.0)
    assert not rcm.read()


def test_injected_trip_and_active_low_wiring(board: Board, hal: SimHal) -> None:
    rcm = hal.gpio_input("DIGITAL_IN_2", active_low=True)
    assert rcm.read()  # idle input at 0 V reads active with active_low
    board.set_fault("rcm_trip", True)
    assert not rcm.read()
    assert board.snapshot()["rcm"]["tripped"] is True


def test_static_inputs(board: Board, hal: SimHal) -> None:
    bit = hal.gpio_input("ROTARY_SWITCH_1_1_N", active_low=True)
    assert not bit.read()
    board.set_input_level("ROTARY_SWITCH_1_1_N", False)
    assert bit.read()
