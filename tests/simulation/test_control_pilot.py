"""The CP as the driver measures it: levels per state, faults, detector reset and settle."""

from __future__ import annotations

import pytest

from pycharge.simulation.adc_scaling import cp_mv
from pycharge.simulation.board import Board
from pycharge.simulation.control_pilot import EV_LOAD_OHM
from tests.simulation.conftest import Evse

# chargebyte user guide log lines (chargebyte.md §4.5): (car state, duty %, U+ mV, U- mV)
OBSERVED = [("A", 100, 11956, 55), ("B", 100, 8919, 65), ("C", 26.67, 5900, -11625),
            ("A", 26.67, 11947, -11615)]


@pytest.mark.parametrize(("state", "duty", "u_pos", "u_neg"), OBSERVED)
def test_levels_match_the_logged_values(board: Board, evse: Evse, state: str, duty: float,
                                        u_pos: int, u_neg: int) -> None:
    board.set_car_state(state)
    evse.drive(duty)
    measured = evse.sample()
    # within about one ADC count (7.7 mV) plus the logs' own spread
    assert measured[0] == pytest.approx(u_pos, abs=15)
    assert measured[1] == pytest.approx(u_neg, abs=15)


def test_b_with_pwm_within_the_logs_own_spread(board: Board, evse: Evse) -> None:
    """The log has B at 8919 mV (100 %) and 8957 mV (PWM): one model cannot hit both exactly."""
    board.set_car_state("B")
    evse.drive(26.67)
    u_pos, u_neg = evse.sample()
    assert u_pos == pytest.approx(8957, abs=50)
    assert u_neg == pytest.approx(-11615, abs=15)


def test_ev_resistors() -> None:
    assert EV_LOAD_OHM["B"] == 2740
    assert EV_LOAD_OHM["C"] == pytest.approx(882, abs=0.5)
    assert EV_LOAD_OHM["D"] == pytest.approx(246, abs=0.5)


@pytest.mark.parametrize(("state", "low", "high"), [("A", 11000, 13000), ("B", 8000, 10000),
                                                    ("C", 5000, 7000), ("D", 2000, 4000)])
def test_each_state_lands_in_its_band(board: Board, evse: Evse, state: str, low: int, high: int
                                      ) -> None:
    board.set_car_state(state)
    evse.drive(53.33)
    u_pos, u_neg = evse.sample()
    assert low <= u_pos < high
    assert -13000 <= u_neg < -11000  # F band: the diode blocks the negative half


def test_state_f_and_undriven_line(board: Board, evse: Evse) -> None:
    board.set_car_state("B")
    evse.drive(0)
    u_pos, u_neg = evse.sample()
    assert -1000 <= u_pos < 2000 and -13000 <= u_neg < -11000  # E on +, F on -: state F
    evse.invert.write(False)
    u_pos, u_neg = evse.sample()
    assert -1000 <= u_pos < 2000 and -1000 <= u_neg < 2000


def test_disabled_pwm_pin_is_low_so_a_driven_line_is_minus_12(board: Board, evse: Evse) -> None:
    evse.drive(100)
    evse.pwm.enabled = False
    assert evse.sample()[1] < -11000
    assert board.cp_duty_percent() == 0.0


def test_diode_short_mirrors_the_positive_half(board: Board, evse: Evse) -> None:
    board.set_car_state("C")
    board.set_fault("diode_short", True)
    evse.drive(26.67)
    u_pos, u_neg = evse.sample()
    assert u_pos > 2000 and abs(u_pos + u_neg) <= 1200  # chargebyte's DiodeFault test


@pytest.mark.parametrize("cause", ["cp_short", "car_e"])
def test_cp_short_to_pe(board: Board, evse: Evse, cause: str) -> None:
    board.set_car_state("B")
    if cause == "cp_short":
        board.set_fault("cp_short", True)
    else:
        board.set_car_state("E")
    for duty in (100, 26.67):
        evse.drive(duty)
        u_pos, u_neg = evse.sample()
        assert u_pos < 2000 and abs(u_pos + u_neg) <= 1200 and u_neg > -10000  # CPShortFault


def test_detector_is_not_valid_before_the_settle_time(board: Board, evse: Evse) -> None:
    board.set_car_state("B")
    evse.drive(26.67)
    early = evse.sample(settle_s=0.0)
    assert early[0] < 1000 and early[1] > -1000  # still at the reset level
    partial = evse.sample(settle_s=0.0002)
    assert 2000 < partial[0] < 8000
    settled = evse.sample(settle_s=0.002)
    assert settled[0] == pytest.approx(8909, abs=8)


def test_without_a_reset_the_detector_holds_the_old_peak(board: Board, evse: Evse) -> None:
    board.set_car_state("B")
    evse.drive(26.67)
    b_level = evse.sample()[0]
    board.set_car_state("C")
    evse.hal.clock.tick(0.01)
    assert cp_mv(evse.adcs[0].read_raw()) == b_level  # no reset: still the B peak
    assert 5000 <= evse.sample()[0] < 7000  # after a reset: C


def test_duty_and_output_are_logged_with_simulated_time(board: Board, evse: Evse) -> None:
    evse.hal.clock.tick(1.0)
    evse.drive(26.67)
    event = board.log.last("cp", "output")
    assert event is not None and event.value == 26.67 and event.time == 1.0
    evse.drive(0)
    assert board.log.last("cp", "output").value == 0.0
