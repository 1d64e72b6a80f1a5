"""What the car draws (anchors.md duty -> current) and what the meter integrates."""

from __future__ import annotations

import pytest

from pycharge.runtime.definitions import Definitions
from pycharge.simulation.board import Board
from pycharge.simulation.car import signalled_current
from pycharge.simulation.hal import SimHal
from pycharge.simulation.meter import Meter
from tests.simulation.conftest import Evse
from tests.support.clocks import ManualClock


@pytest.mark.parametrize(("duty", "amps"), [(5, 0), (7.9, 0), (8, 6), (9.9, 6), (10, 6),
                                            (26.67, 16.002), (53.33, 31.998), (85, 51),
                                            (90, 65), (96, 80), (96.5, 80), (97, 80), (97.1, 0),
                                            (100, 0), (None, 0)])
def test_signalled_current(duty: float | None, amps: float) -> None:
    assert signalled_current(duty) == pytest.approx(amps)


def test_energy_is_v_i_t_within_a_tenth_of_a_percent(board: Board, evse: Evse, hal: SimHal,
                                                     clock: ManualClock) -> None:
    relay = hal.gpio_output("RELAY_1_ENABLE")
    board.set_car_state("C")
    evse.drive(26.67)  # 16.002 A offered, the car wants 16 A on three phases
    relay.write(True)
    clock.now += 0.015  # contact closes
    start = board.meter_reading()["energy_Wh_import"]["total"]
    clock.now += 10.0
    reading = board.meter_reading()
    expected = 3 * 230.0 * 16.0 * 10.0 / 3600.0
    assert reading["energy_Wh_import"]["total"] - start == pytest.approx(expected, rel=1e-3)
    assert reading["current_A"]["L1"] == 16.0 and reading["current_A"]["N"] == pytest.approx(0)
    assert reading["power_W"]["total"] == pytest.approx(3 * 230 * 16)


def test_the_car_draws_the_smaller_current_only_in_c_with_the_contact_closed(
        board: Board, evse: Evse, hal: SimHal, clock: ManualClock) -> None:
    relay = hal.gpio_output("RELAY_1_ENABLE")
    board.set_car_state("B")
    evse.drive(16.67)  # 10 A
    relay.write(True)
    clock.now += 1
    assert board.meter.currents_a == (0, 0, 0)  # B: S2 open
    board.set_car_state("C")
    assert board.meter.currents_a == pytest.approx((10.0, 10.0, 10.0), abs=0.01)
    board.set_car_request(6.0, 1)
    assert board.meter.currents_a == (6.0, 0.0, 0.0)
    assert board.meter_reading()["current_A"]["N"] == pytest.approx(6.0)
    relay.write(False)
    clock.now += 0.02
    assert board.meter_reading()["power_W"]["total"] == 0


def test_energy_stops_when_the_contact_opens_not_when_the_coil_does(
        board: Board, evse: Evse, hal: SimHal, clock: ManualClock) -> None:
    relay = hal.gpio_output("RELAY_1_ENABLE")
    board.set_car_state("C")
    evse.drive(26.67)
    relay.write(True)
    clock.now = 1.0
    before = board.meter_reading()["energy_Wh_import"]["total"]
    relay.write(False)
    clock.now = 5.0
    after = board.meter_reading()["energy_Wh_import"]["total"]
    assert after - before == pytest.approx(3 * 230 * 16 * 0.015 / 3600, rel=1e-3)


def test_reading_is_a_valid_everest_powermeter_value() -> None:
    meter = Meter(0.0)
    meter.set_currents(0.0, (16.0, 16.0, 16.0))
    reading = meter.reading(3600.0)
    definitions = Definitions.load()
    schema = definitions.interfaces["powermeter"].vars["powermeter"]
    assert definitions.check(reading, schema, "powermeter") == []
    assert reading["energy_Wh_import"]["total"] == pytest.approx(3 * 230 * 16)


@pytest.mark.parametrize(("wiring", "relays", "currents"), [
    ("none", (True, False), (16.0, 16.0, 16.0)),
    ("serial", (True, False), (16.0, 0.0, 0.0)),
    ("serial", (True, True), (16.0, 16.0, 16.0)),
    ("serial", (False, True), (0.0, 0.0, 0.0)),  # N runs through relay 1
    ("simultaneous", (True, True), (16.0, 16.0, 16.0)),
    ("mutual", (True, False), (16.0, 16.0, 16.0)),
    ("mutual", (False, True), (16.0, 0.0, 0.0)),
])
def test_the_phases_reach_the_car_as_the_relays_are_wired(
        clock: ManualClock, wiring: str, relays: tuple[bool, bool],
        currents: tuple[float, float, float]) -> None:
    board = Board(clock, phase_wiring=wiring)
    hal = SimHal(board)
    Evse(hal).drive(26.67)
    board.set_car_state("C")
    for number, on in zip((1, 2), relays, strict=True):
        hal.gpio_output(f"RELAY_{number}_ENABLE").write(on)
    clock.now += 0.02
    board.advance()
    assert board.meter.currents_a == pytest.approx(currents, abs=0.01)


def test_an_unknown_phase_wiring_is_refused(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="phase wiring must be one of none, serial"):
        Board(clock, phase_wiring="parallel")
