"""Relay coils, contacts after their travel time, sense lines, welded and stuck faults."""

from __future__ import annotations

import pytest

from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal
from tests.support.clocks import ManualClock


@pytest.fixture
def lines(hal: SimHal):
    return {n: (hal.gpio_output(f"RELAY_{n}_ENABLE"), hal.gpio_input(f"RELAY_{n}_SENSE"))
            for n in (1, 2)}


def test_contact_and_sense_follow_the_coil_after_15_ms(board: Board, clock: ManualClock,
                                                       lines) -> None:
    coil, sense = lines[1]
    clock.now = 2.0
    coil.write(True)
    clock.now = 2.014
    assert not sense.read()
    clock.now = 2.016
    assert sense.read()
    assert board.log.first("relay1", "coil", True).time == 2.0
    assert board.log.first("relay1", "contact", True).time == pytest.approx(2.015)
    coil.write(False)
    clock.now = 3.0
    assert not sense.read()
    assert board.log.first("relay1", "contact", False).time == pytest.approx(2.031)


def test_transitions_are_logged_at_their_own_time_even_when_seen_late(board: Board,
                                                                      clock: ManualClock,
                                                                      lines) -> None:
    lines[1][0].write(True)
    lines[2][0].write(True)
    clock.now = 10.0
    board.advance()
    contacts = board.log.events(change="contact")
    assert [(e.subject, e.time) for e in contacts] == [("relay1", pytest.approx(0.015)),
                                                       ("relay2", pytest.approx(0.015))]


def test_a_glitch_shorter_than_the_travel_never_closes(board: Board, clock: ManualClock,
                                                       lines) -> None:
    coil, sense = lines[1]
    coil.write(True)
    clock.now = 0.005
    coil.write(False)
    clock.now = 0.1
    assert not sense.read()
    assert board.log.events("relay1", "contact") == []


def test_welded_contact_stays_closed(board: Board, clock: ManualClock, lines) -> None:
    coil, sense = lines[1]
    coil.write(True)
    clock.now = 0.1
    board.set_fault("relay1_welded", True)
    coil.write(False)
    clock.now = 0.5
    assert sense.read() and board.relays[1].contact
    board.set_fault("relay1_welded", False)  # repaired: it opens after its travel time
    clock.now = 0.52
    assert not sense.read()
    assert board.log.last("relay1", "contact").time == pytest.approx(0.515)


def test_stuck_contact_never_closes(board: Board, clock: ManualClock, lines) -> None:
    coil, sense = lines[2]
    board.set_fault("relay2_stuck", True)
    coil.write(True)
    clock.now = 1.0
    assert not sense.read()
    assert board.log.first("fault", "relay2_stuck", True) is not None


def test_sense_cannot_be_driven_and_coil_can_be_read_back(hal: SimHal, lines) -> None:
    with pytest.raises(OSError):
        hal.gpio_output("RELAY_1_SENSE")
    lines[1][0].write(True)
    assert lines[1][0].read() is True
