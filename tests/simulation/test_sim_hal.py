"""The simulated HAL behaves like the kernel where a driver could get it wrong."""

from __future__ import annotations

import errno
import gc

import pytest

from pycharge.hal.errors import AdcError, GpioError, PwmError
from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal


def test_unknown_names_list_what_exists(hal: SimHal) -> None:
    with pytest.raises(GpioError, match=r"no GPIO line named 'RELAY_3_ENABLE'.*RELAY_2_ENABLE"):
        hal.gpio_output("RELAY_3_ENABLE")
    with pytest.raises(PwmError, match=r"found: 20fc000\.pwm channel 0"):
        hal.pwm("20fc000.pwm", 1)
    with pytest.raises(AdcError, match=r"2198000\.adc with voltage0"):
        hal.adc("2198000.adc", "voltage7")


def test_a_line_has_one_holder_until_closed_or_collected(hal: SimHal) -> None:
    line = hal.gpio_output("RELAY_1_ENABLE")
    with pytest.raises(GpioError) as raised:
        hal.gpio_output("RELAY_1_ENABLE")
    assert raised.value.errno == errno.EBUSY
    line.close()
    again = hal.gpio_output("RELAY_1_ENABLE")
    del again
    gc.collect()
    hal.gpio_output("RELAY_1_ENABLE")
    with pytest.raises(GpioError):
        line.write(True)  # closed


def test_active_low_and_initial_value_are_logical(board: Board, hal: SimHal) -> None:
    line = hal.gpio_output("MOTOR_1_DRIVER_IN1_N", initial=False, active_low=True)
    assert board.outputs["MOTOR_1_DRIVER_IN1_N"] is True  # inactive = physically high
    line.write(True)
    assert board.outputs["MOTOR_1_DRIVER_IN1_N"] is False


def test_inputs_cannot_be_written(hal: SimHal) -> None:
    din = hal.gpio_input("DIGITAL_IN_1")
    with pytest.raises(GpioError):
        din.write(True)


def test_fan_pwm_belongs_to_the_kernel_and_pwm_writes_get_sysfs_checks(hal: SimHal) -> None:
    with pytest.raises(PwmError) as raised:
        hal.pwm("20f8000.pwm", 0)
    assert raised.value.errno == errno.EBUSY
    pwm = hal.pwm("20fc000.pwm", 0)
    with pytest.raises(PwmError):
        pwm.enabled = True  # period 0
    pwm.period_ns = 1_000_000
    pwm.duty_cycle_ns = 900_000
    pwm.period_ns = 40_000  # lowers the duty first, else the board refuses
    assert (pwm.period_ns, pwm.duty_cycle_ns) == (40_000, 40_000)
    with pytest.raises(PwmError):
        hal.pwm("20fc000.pwm", 0)
    pwm.enabled = True
    pwm.close()
    assert hal.board.pwm_state[("20fc000.pwm", 0)]["enable"] == 0
    hal.pwm("20fc000.pwm", 0)


def test_noise_is_seeded(clock) -> None:
    def reads(seed: int) -> list[int]:
        hal = SimHal(Board(clock, noise_counts=3.0, seed=seed))
        adc = hal.adc("2198000.adc", "voltage5")
        return [adc.read_raw() for _ in range(20)]

    assert reads(1) == reads(1)
    assert reads(1) != reads(2)
    assert len(set(reads(1))) > 1
