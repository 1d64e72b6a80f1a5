"""PP through the assumed 1 kΩ pull-up and 220 Ω series resistor, against chargebyte's windows."""

from __future__ import annotations

import pytest

from pycharge.simulation.adc_scaling import pp_mv
from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal
from pycharge.simulation.proximity import CODING_RESISTORS_OHM

# chargebyte.md §4.11: first match, U_PP in mV
WINDOWS = {1500: (1813, 2458, "A_13"), 680: (1170, 1812, "A_20"), 220: (891, 1169, "A_32"),
           100: (751, 890, "A_63_3ph_70_1ph")}


def read_pp(hal: SimHal) -> int:
    return pp_mv(hal.adc("2198000.adc", "voltage5").read_raw())


@pytest.mark.parametrize("ohms", CODING_RESISTORS_OHM)
def test_each_cable_lands_in_its_window(board: Board, hal: SimHal, ohms: int) -> None:
    board.pp.cable_ohm = ohms
    board.set_car_state("B")
    low, high, _ = WINDOWS[ohms]
    assert low <= read_pp(hal) <= high


def test_no_cable_reads_open_and_a_short_reads_out_of_range(board: Board, hal: SimHal) -> None:
    assert read_pp(hal) >= 2459
    board.set_car_state("B")
    board.set_fault("pp_short", True)
    assert read_pp(hal) < 751


def test_unplugging_removes_the_cable(board: Board, hal: SimHal) -> None:
    board.set_car_state("C")
    assert read_pp(hal) < 2459
    board.set_car_state("A")
    assert read_pp(hal) >= 2459
