"""The simulated board on a clock the test moves, and a CP sampler doing what the driver does."""

from __future__ import annotations

import pytest

from pycharge.simulation.adc_scaling import cp_mv
from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal
from tests.support.clocks import ManualClock


class Evse:
    """The CbTarragonDriver's use of the board, reduced to what the model tests need."""

    def __init__(self, hal: SimHal) -> None:
        self.hal = hal
        self.invert = hal.gpio_output("CP_INVERT")
        self.resets = (hal.gpio_output("CP_POSITIVE_PEAK_RST"),
                       hal.gpio_output("CP_NEGATIVE_PEAK_RST"))
        self.adcs = (hal.adc("2198000.adc", "voltage2"), hal.adc("2198000.adc", "voltage3"))
        self.pwm = hal.pwm("20fc000.pwm", 0)
        self.pwm.period_ns = 1_000_000
        self.pwm.set_duty_ratio(1.0)

    def drive(self, duty_percent: float) -> None:
        self.pwm.set_duty_ratio(duty_percent / 100.0)
        self.pwm.enabled = True
        self.invert.write(True)

    def sample(self, settle_s: float = 0.002) -> tuple[int, int]:
        """Reset both detectors 1.5 ms, release, wait ``settle_s``, read U+ then U- (mV)."""
        for line in self.resets:
            line.write(True)
        self.hal.clock.tick(0.0015)
        for line in self.resets:
            line.write(False)
        self.hal.clock.tick(settle_s)
        return cp_mv(self.adcs[0].read_raw()), cp_mv(self.adcs[1].read_raw())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(0.0)


@pytest.fixture
def board(clock: ManualClock) -> Board:
    return Board(clock)


@pytest.fixture
def hal(board: Board) -> SimHal:
    return SimHal(board)


@pytest.fixture
def evse(hal: SimHal) -> Evse:
    return Evse(hal)
