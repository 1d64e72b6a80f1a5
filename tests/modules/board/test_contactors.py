"""Relay feedback timing and faults, wirings and the close interval, on the simulated relays."""

from __future__ import annotations

import logging

import pytest

from pycharge.modules.CbTarragonDriver.contactors import POWER_OFF, POWER_ON, Contactors, Wiring
from pycharge.modules.CbTarragonDriver.power import PowerControl
from pycharge.modules.CbTarragonDriver.relays import FEEDBACK_TIMEOUT_S, MIN_CLOSE_INTERVAL_S, Relay
from tests.modules.board.support import sim_board
from tests.support.clocks import ManualClock

STEP = 0.004  # about one CP sample


def build(wiring: Wiring = Wiring.NONE, feedback: tuple[str, str] = ("no", "no"),
          debounce_s: float = 0.01):
    clock, board, hal = sim_board()
    relays = []
    for number, kind in zip((1, 2), feedback, strict=True):
        coil = hal.gpio_output(f"RELAY_{number}_ENABLE")
        watched = kind != "none" and (number == 1 or wiring != Wiring.NONE)
        sense = hal.gpio_input(f"RELAY_{number}_SENSE", active_low=kind == "nc") if watched else None
        relays.append(Relay(f"R{number}/S{number}", coil, sense, debounce_s))
    return clock, board, Contactors(wiring, *relays)


def run(clock: ManualClock, contactors: Contactors, seconds: float) -> list:
    """Poll every STEP for ``seconds``; (time, PollResult) of each poll that found something."""
    found = []
    end = clock.now + seconds
    while clock.now < end:
        clock.advance(STEP)
        contactors.read_feedback(clock.now)
        result = contactors.poll(clock.now)
        if result.event or result.faults or result.recheck_passed:
            found.append((clock.now, result))
    return found


def test_close_is_confirmed_by_feedback_after_contact_and_debounce() -> None:
    clock, board, contactors = build()
    start = clock.now
    contactors.close(3, start)
    found = run(clock, contactors, 0.1)
    assert [r.event for _, r in found] == [POWER_ON]
    confirmed_at = found[0][0] - start
    # contact after 15 ms (model), then 10 ms of unchanged SENSE
    assert 0.025 <= confirmed_at <= 0.025 + 2 * STEP
    assert board.relays[1].contact


def test_without_feedback_switching_counts_as_confirmed() -> None:
    clock, _, contactors = build(feedback=("none", "none"))
    contactors.close(3, clock.now)
    assert [r.event for _, r in run(clock, contactors, STEP)] == [POWER_ON]
    contactors.open(clock.now)
    assert [r.event for _, r in run(clock, contactors, STEP)] == [POWER_OFF]


def test_stuck_relay_fails_after_250_ms_and_is_opened() -> None:
    clock, board, contactors = build()
    board.set_fault("relay1_stuck", True)
    start = clock.now
    contactors.close(3, start)
    found = run(clock, contactors, 0.5)
    fault_time, result = found[0]
    assert result.faults == ["Failed to CLOSE the Contactor@R1/S1, it is still OPEN"]
    assert FEEDBACK_TIMEOUT_S < fault_time - start <= FEEDBACK_TIMEOUT_S + STEP
    assert not board.relays[1].coil and not contactors.closed
    assert contactors.fault is not None
    assert any(r.recheck_passed for _, r in found)  # the open after the fault is confirmed
    assert all(r.event != POWER_ON for _, r in found)


def test_welded_relay_fails_to_open_and_never_passes_the_recheck() -> None:
    clock, board, contactors = build()
    contactors.close(3, clock.now)
    run(clock, contactors, 0.1)
    board.set_fault("relay1_welded", True)
    start = clock.now
    contactors.open(start)
    found = run(clock, contactors, 1.0)
    fault_time, result = found[0]
    assert result.faults == ["Failed to OPEN the Contactor@R1/S1, it is still CLOSED"]
    assert FEEDBACK_TIMEOUT_S < fault_time - start <= FEEDBACK_TIMEOUT_S + STEP
    contactors.recheck(clock.now)
    found += run(clock, contactors, 1.0)
    assert not any(r.recheck_passed for _, r in found)
    assert not any(r.event == POWER_OFF for _, r in found)
    assert contactors.fault is not None


def test_contact_dropping_out_while_closed_is_spurious() -> None:
    clock, board, contactors = build()
    contactors.close(3, clock.now)
    run(clock, contactors, 0.1)
    board.relays[1].contact = False  # the contact falls off (e.g. coil supply lost)
    found = run(clock, contactors, 0.1)
    assert found[0][1].faults == ["Spurious state 'OPEN' on feedback signal of 'Contactor@R1/S1' "
                                  "detected"]
    assert not board.relays[1].coil
    assert len([f for _, r in found for f in r.faults]) == 1  # reported once


def test_short_feedback_glitch_is_debounced() -> None:
    clock, board, contactors = build()
    contactors.close(3, clock.now)
    run(clock, contactors, 0.1)
    board.relays[1].contact = False
    run(clock, contactors, STEP)  # one read of the glitch, shorter than the 10 ms debounce
    board.relays[1].contact = True
    assert run(clock, contactors, 0.1) == []


def test_wrong_feedback_type_fails_the_initial_check() -> None:
    clock, _, contactors = build(feedback=("nc", "none"))
    found = run(clock, contactors, 0.05)
    assert found[0][1].faults == ["Initial contactor feedback check failed for 'Contactor@R1/S1': "
                                  "CLOSED"]


@pytest.mark.parametrize(("wiring", "phases", "closed"), [
    (Wiring.NONE, 3, (True, False)), (Wiring.NONE, 1, (True, False)),
    (Wiring.SERIAL, 3, (True, True)), (Wiring.SERIAL, 1, (True, False)),
    (Wiring.SIMULTANEOUS, 3, (True, True)), (Wiring.SIMULTANEOUS, 1, (True, True)),
    (Wiring.MUTUAL, 3, (True, False)), (Wiring.MUTUAL, 1, (False, True)),
])
def test_wirings_close_the_right_relays(wiring: Wiring, phases: int, closed: tuple) -> None:
    clock, board, contactors = build(wiring)
    contactors.close(phases, clock.now)
    found = run(clock, contactors, 0.1)
    assert (board.relays[1].contact, board.relays[2].contact) == closed
    assert [r.event for _, r in found] == [POWER_ON]
    contactors.open(clock.now)
    found = run(clock, contactors, 0.1)
    assert [r.event for _, r in found] == [POWER_OFF]
    assert not board.relays[1].contact and not board.relays[2].contact


def test_serial_wiring_closes_the_secondary_first() -> None:
    clock, board, contactors = build(Wiring.SERIAL)
    contactors.close(3, clock.now)
    coils = [e.subject for e in board.log.events(change="coil", value=True)]
    assert coils == ["relay2", "relay1"]


def test_wiring_none_never_watches_relay_2() -> None:
    clock, board, contactors = build(Wiring.NONE, feedback=("no", "no"))
    board.relays[2].contact = True  # whatever relay 2's sense says
    assert run(clock, contactors, 0.1) == []


def power(clock: ManualClock, contactors: Contactors) -> PowerControl:
    control = PowerControl(contactors, logging.getLogger("test"))
    control.step(clock.now, None)
    return control


def test_close_interval_starts_at_the_last_close_not_at_start() -> None:
    clock, board, contactors = build()
    control = power(clock, contactors)
    assert control.request(True, clock.now) is None
    control.step(clock.now, None)
    assert board.relays[1].coil  # first close right away
    first_close = clock.now
    control.request(False, clock.now)
    clock.advance(1.0)
    control.request(True, clock.now)
    assert control.close_at == pytest.approx(first_close + MIN_CLOSE_INTERVAL_S)
    clock.now = first_close + MIN_CLOSE_INTERVAL_S - 0.001
    control.step(clock.now, None)
    assert not board.relays[1].coil
    clock.now = first_close + MIN_CLOSE_INTERVAL_S
    control.step(clock.now, None)
    assert board.relays[1].coil


def test_open_request_cancels_a_pending_close() -> None:
    clock, board, contactors = build()
    control = power(clock, contactors)
    control.request(True, clock.now)
    control.step(clock.now, None)
    control.request(False, clock.now)
    control.request(True, clock.now)
    assert control.pending
    control.request(False, clock.now)
    assert not control.pending
    clock.advance(MIN_CLOSE_INTERVAL_S + 1)
    control.step(clock.now, None)
    assert not board.relays[1].coil


def test_close_is_refused_while_something_forbids_power() -> None:
    clock, board, contactors = build()
    control = power(clock, contactors)
    control.step(clock.now, "CP state B")
    assert control.request(True, clock.now) == "CP state B"
    control.step(clock.now, None)
    assert not board.relays[1].coil


def test_forbidding_power_opens_at_once_and_cancels_the_permission() -> None:
    clock, board, contactors = build()
    control = power(clock, contactors)
    control.request(True, clock.now)
    control.step(clock.now, None)
    assert board.relays[1].coil
    assert control.step(clock.now, "RCM tripped") is True
    assert not board.relays[1].coil
    control.step(clock.now + MIN_CLOSE_INTERVAL_S, None)
    assert not board.relays[1].coil  # closing again needs a new allow_power_on(true)


def coil_changes(board) -> list[tuple[str, bool]]:
    return [(e.subject, e.value) for e in board.log.events(change="coil")]


@pytest.mark.parametrize(("closed_on", "requested"), [(3, 1), (1, 3)])
def test_a_phase_request_while_closed_never_switches_a_relay(closed_on: int,
                                                             requested: int) -> None:
    """ac_switch_three_phases_while_charging under load: the phase relay (relay 2 in serial
    wiring) keeps its coil until the contactor opens; the next close uses the new count."""
    clock, board, contactors = build(Wiring.SERIAL)
    control = power(clock, contactors)
    control.set_phases(closed_on)
    control.request(True, clock.now)
    control.step(clock.now, None)
    before = coil_changes(board)
    assert board.relays[2].coil == (closed_on == 3)
    control.set_phases(requested)
    control.step(clock.now + STEP, None)
    assert coil_changes(board) == before, "a relay was switched under load"
    control.request(False, clock.now)
    clock.advance(MIN_CLOSE_INTERVAL_S)
    control.request(True, clock.now)
    control.step(clock.now, None)
    assert (board.relays[1].coil, board.relays[2].coil) == (True, requested == 3)


def test_a_phase_request_moves_a_pending_close_to_the_new_relays_interval() -> None:
    """Mutual wiring: relay 1 for three phases, relay 2 for one. A close pending for three
    phases that becomes one-phase must wait for relay 2's own 10 s since its last close."""
    clock, board, contactors = build(Wiring.MUTUAL)
    control = power(clock, contactors)
    control.request(True, clock.now)  # three phases: relay 1
    control.step(clock.now, None)
    start = clock.now
    control.request(False, clock.now)
    clock.now = start + 5.0
    control.set_phases(1)
    control.request(True, clock.now)  # relay 2, never closed before: at once
    control.step(clock.now, None)
    assert board.relays[2].coil
    control.request(False, clock.now)
    control.set_phases(3)
    clock.now = start + 7.0
    control.request(True, clock.now)
    assert control.close_at == pytest.approx(start + MIN_CLOSE_INTERVAL_S)  # relay 1's
    control.set_phases(1)
    assert control.close_at == pytest.approx(start + 5.0 + MIN_CLOSE_INTERVAL_S)  # relay 2's
    clock.now = start + MIN_CLOSE_INTERVAL_S
    control.step(clock.now, None)
    assert not board.relays[2].coil and not board.relays[1].coil
    clock.now = start + 5.0 + MIN_CLOSE_INTERVAL_S
    control.step(clock.now, None)
    assert board.relays[2].coil and not board.relays[1].coil
