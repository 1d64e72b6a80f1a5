"""Proximity pilot thresholds, publishing and MREC23ProximityFault rules (chargebyte.md §4.11)."""

from __future__ import annotations

import pytest

from pycharge.modules.CbTarragonDriver.proximity import (
    MEASUREMENT_ERROR,
    PLUG_REMOVAL,
    ProximityObserver,
    adc_to_pp_mv,
    ampacity,
)
from pycharge.simulation.proximity import CODING_RESISTORS_OHM, pp_pin_voltage


@pytest.mark.parametrize(("mv", "expected"), [
    (3300, "None"), (2459, "None"), (2458, "A_13"), (1813, "A_13"), (1812, "A_20"),
    (1170, "A_20"), (1169, "A_32"), (891, "A_32"), (890, "A_63_3ph_70_1ph"),
    (751, "A_63_3ph_70_1ph"), (750, None), (0, None),
])
def test_thresholds(mv: int, expected: str | None) -> None:
    assert ampacity(mv) == expected


def test_conversion_divides_by_4096() -> None:
    assert adc_to_pp_mv(4095) == 3299
    assert adc_to_pp_mv(2048) == 1650


@pytest.mark.parametrize(("ohm", "expected"), list(zip(CODING_RESISTORS_OHM,
                                                       ("A_13", "A_20", "A_32", "A_63_3ph_70_1ph"),
                                                       strict=True)))
def test_every_coding_resistor_of_the_simulated_socket_maps_to_its_rating(ohm: int,
                                                                          expected: str) -> None:
    assert ampacity(round(pp_pin_voltage(ohm) * 1000)) == expected


def test_publishes_only_changes_and_only_while_enabled() -> None:
    pp = ProximityObserver()
    assert pp.sample(3300, enabled=False, cp_state="A").publish is None
    assert pp.sample(1000, enabled=False, cp_state="B").publish is None
    assert pp.sample(1000, enabled=True, cp_state="B").publish == "A_32"
    assert pp.sample(1000, enabled=True, cp_state="C").publish is None
    assert pp.sample(3300, enabled=True, cp_state="A").publish == "None"


def test_short_raises_measurement_error_and_a_valid_reading_clears_it() -> None:
    pp = ProximityObserver()
    pp.sample(1000, True, "B")
    decision = pp.sample(600, True, "B")
    assert decision.raise_fault == (MEASUREMENT_ERROR, "The measured voltage for the Proximity "
                                    "Pilot is out-of-range (U_PP: 600 mV)")
    assert decision.publish is None
    again = pp.sample(1000, True, "B")  # the same cable as before the fault
    assert again.clear == (MEASUREMENT_ERROR,) and again.publish is None


def test_plug_removed_during_charge() -> None:
    pp = ProximityObserver()
    pp.sample(1000, True, "C")
    decision = pp.sample(3300, True, "C")
    assert decision.publish == "None"
    assert decision.raise_fault == (PLUG_REMOVAL, "Plug removed from socket during charge")
    assert pp.sample(1000, True, "C").clear == (PLUG_REMOVAL,)


def test_no_plug_removal_outside_c_and_d() -> None:
    pp = ProximityObserver()
    pp.sample(1000, True, "B")
    assert pp.sample(3300, True, "B").raise_fault is None


def test_cp_state_a_clears_pending_faults() -> None:
    pp = ProximityObserver()
    pp.sample(1000, True, "C")
    pp.sample(3300, True, "D")
    pp.sample(500, True, "D")
    assert pp.cp_state_a() == (MEASUREMENT_ERROR, PLUG_REMOVAL)
    assert pp.cp_state_a() == ()
