"""The benchmark's car and installation on a simulated board, without a stack behind it.

Here the test moves the simulated clock itself (``tick``) and plays the driver's part by
writing the board's lines directly.
"""

from __future__ import annotations

import pytest
from bench.sim_driver import SimulatedSite, Switching, is_pwm

from pycharge.runtime.clock import SimClock
from pycharge.simulation import Board
from pycharge.simulation.resources import CP_PWM

SHORT = 0.05  # real seconds to wait for something that must not happen


@pytest.fixture
def clock() -> SimClock:
    return SimClock(freewheel_after=3600.0)  # time moves only when the test ticks


@pytest.fixture
def site(clock: SimClock) -> SimulatedSite:
    return SimulatedSite(Board(clock), timeout_s=SHORT)


def pwm(board: Board, duty_percent: float | None) -> None:
    """What the driver does: CP output stage on, PWM at ``duty_percent`` (None: X1)."""
    board.write_line("CP_INVERT", True)
    board.pwm_write(CP_PWM, "period", 1_000_000)
    if duty_percent is None:
        board.pwm_write(CP_PWM, "enable", 0)
    else:
        board.pwm_write(CP_PWM, "duty_cycle", int(duty_percent * 10_000))
        board.pwm_write(CP_PWM, "enable", 1)


def test_what_counts_as_pwm() -> None:
    assert [is_pwm(v) for v in ("off", 0.0, 5.0, 26.6667, 100.0)] == \
        [False, False, True, True, False]


def test_causes_report_their_simulated_time(site: SimulatedSite, clock: SimClock) -> None:
    clock.tick(0.25)
    assert site.car("B") == pytest.approx(0.25)
    clock.tick(0.25)
    assert site.residual_current(True) == pytest.approx(0.5)
    assert site.board.rcm.tripped
    assert site.fault("cp_short", True) == pytest.approx(0.5)


def test_pwm_on_and_off_are_found_in_the_log(site: SimulatedSite, clock: SimClock) -> None:
    pwm(site.board, None)
    assert site.pwm_on(0.0, SHORT) is None
    clock.tick(0.1)
    pwm(site.board, 26.6667)
    assert site.pwm_on(0.0) == pytest.approx(0.1)
    assert site.pwm_on(0.3) == pytest.approx(0.1)  # still on since then
    assert site.pwm_off(SHORT) is None
    clock.tick(0.1)
    pwm(site.board, None)
    assert site.pwm_off(SHORT) == pytest.approx(0.2)


def test_switching_times_coil_and_contact(site: SimulatedSite, clock: SimClock) -> None:
    clock.tick(0.1)
    site.board.write_line("RELAY_1_ENABLE", True)
    clock.tick(0.02)
    site.board.advance()  # the contact closes 15 ms after the coil
    assert site.closed_relays() == ["relay1"]
    closing = site.switching(["relay1"], True, since=0.095)
    assert closing == Switching(pytest.approx(5.0), pytest.approx(20.0))


def test_a_relay_that_never_opens_is_never(site: SimulatedSite, clock: SimClock) -> None:
    site.board.write_line("RELAY_1_ENABLE", True)
    assert site.switching(["relay1"], False, since=0.0) == Switching.never()
    with pytest.raises(ValueError):
        site.switching([], False, since=0.0)
