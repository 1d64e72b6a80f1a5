"""CP conversion, state table, debounce and error checks against chargebyte's numbers (§4.5-4.7)."""

from __future__ import annotations

import pytest

from pycharge.modules.CbTarragonDriver.cp_signal import (
    PF,
    A,
    B,
    C,
    D,
    E,
    F,
    SideDebouncer,
    adc_to_cp_mv,
    classify,
    combine,
    evaluate,
)

# chargebyte tests/modules/CbTarragonDriver/unittest-cp_calc_voltage.cpp (chargebyte.md §4.5)
CONVERSION_VECTORS = [(0, -16013), (527, -11951), (940, -8760), (1024, -8108), (2048, -203),
                      (2074, -2), (2075, 7), (2411, 2595), (3072, 7702), (3606, 11822),
                      (4095, 15607)]


@pytest.mark.parametrize(("raw", "mv"), CONVERSION_VECTORS)
def test_conversion_matches_chargebytes_vectors(raw: int, mv: int) -> None:
    assert adc_to_cp_mv(raw) == mv


def test_conversion_truncates_like_c_for_negative_intermediates() -> None:
    # raw -1: u_adc = -3300/4095 -> 0 in C (Python's // would give -1)
    assert adc_to_cp_mv(-1) == adc_to_cp_mv(0)


# chargebyte's boundary examples (tests/utils/cp, chargebyte.md §4.6): (mV, previous, expected)
BOUNDARY_EXAMPLES = [
    (13000, None, A), (13001, None, PF), (10000, A, A), (8000, A, B), (7000, C, C), (6999, None, C),
    (4000, B, C), (4000, D, D), (2000, None, D), (1999, None, E), (-1000, None, E),
    (-1001, F, PF), (-2000, F, PF), (-10000, F, PF), (-10001, F, F), (-11000, E, PF),
    (-11001, None, F), (-13001, None, PF),
]


@pytest.mark.parametrize(("mv", "previous", "expected"), BOUNDARY_EXAMPLES)
def test_boundary_examples(mv: int, previous, expected) -> None:
    assert classify(mv, previous) == expected


# Every band edge of the table, each hysteresis band with a "sticky" and a fresh previous state.
TABLE = [
    (13001, None, PF), (13000, None, A), (11000, None, A),
    (10999, A, A), (10999, B, B), (10999, None, B), (10000, A, A), (10000, C, B),
    (9999, A, B), (8000, None, B),
    (7999, A, B), (7999, B, B), (7999, C, C), (7999, None, C), (7000, B, B), (7000, D, C),
    (6999, B, C), (5000, None, C),
    (4999, A, C), (4999, B, C), (4999, C, C), (4999, D, D), (4999, None, D), (4000, C, C),
    (3999, C, D), (2000, C, D),
    (1999, D, E), (-1000, None, E),
    (-1001, A, E), (-1001, B, E), (-1001, C, E), (-1001, D, E), (-1001, E, E), (-1001, F, PF),
    (-1001, PF, PF), (-1001, None, PF), (-2000, E, E), (-2001, E, PF),
    (-10000, None, PF),
    (-10001, F, F), (-10001, E, PF), (-10001, None, PF), (-11000, F, F), (-11000, PF, PF),
    (-11001, PF, F), (-13000, None, F), (-13001, F, PF),
]


@pytest.mark.parametrize(("mv", "previous", "expected"), TABLE)
def test_state_table_edges_and_hysteresis(mv: int, previous, expected) -> None:
    assert classify(mv, previous) == expected


def test_a_state_needs_two_equal_samples() -> None:
    side = SideDebouncer()
    assert side.update(A) == (False, False)
    assert side.update(A) == (True, False)
    assert side.detected == A
    assert side.update(B) == (False, False)
    assert side.detected == A
    assert side.update(B) == (True, False)
    assert side.detected == B


def test_one_sample_blip_is_suppressed() -> None:
    side = SideDebouncer()
    for state in (A, A):
        side.update(state)
    assert side.update(B) == (False, False)
    changed, suppressed = side.update(A)
    assert (changed, suppressed) == (False, True)
    assert side.detected == A


def test_alternating_samples_never_change_the_state() -> None:
    side = SideDebouncer()
    side.update(C)
    side.update(C)
    for state in (B, C, B, C, B, C):
        changed, _ = side.update(state)
        assert not changed
    assert side.detected == C


def test_debounced_state_is_not_reported_twice() -> None:
    side = SideDebouncer()
    side.update(B)
    assert side.update(B)[0]
    assert not side.update(B)[0]


@pytest.mark.parametrize(("positive", "negative", "driven", "expected"), [
    (B, F, True, B), (C, F, True, C), (E, E, True, E), (E, F, True, F), (A, PF, True, PF),
    (PF, F, True, PF), (C, F, False, E), (None, None, True, E),
])
def test_combining_both_sides(positive, negative, driven, expected) -> None:
    assert combine(positive, negative, driven) == expected


def test_cp_short_at_constant_level_forces_e() -> None:
    verdict = evaluate(E, E, True, 150, 60, 100.0, False)
    assert verdict.short and verdict.state == E and verdict.faulty


def test_cp_short_during_pwm_when_both_peaks_near_zero() -> None:
    verdict = evaluate(E, E, True, 500, -400, 26.7, False)
    assert verdict.short


def test_state_f_is_not_a_short() -> None:
    verdict = evaluate(F, F, True, -11900, -11900, 0.0, False)
    assert not verdict.short
    assert verdict.state == F


def test_diode_fault_when_negative_mirrors_positive() -> None:
    verdict = evaluate(C, PF, True, 5900, -5800, 26.7, False)
    assert verdict.diode and not verdict.out_of_range and verdict.state == PF


def test_diode_fault_stays_latched_until_state_a() -> None:
    assert evaluate(B, F, True, 8900, -11600, 26.7, True).diode
    assert not evaluate(A, F, True, 11900, -11600, 26.7, True).diode


def test_out_of_range_without_diode_fault() -> None:
    verdict = evaluate(C, PF, True, 5900, -7200, 26.7, False)
    assert verdict.out_of_range and not verdict.diode


def test_no_diode_check_at_constant_level() -> None:
    assert not evaluate(B, E, True, 8900, 60, 100.0, False).diode


def test_ventilation_in_d_with_a_real_negative_level() -> None:
    verdict = evaluate(D, F, True, 3000, -11600, 26.7, False)
    assert verdict.ventilation and verdict.state == D
    assert not evaluate(D, E, True, 3000, 60, 100.0, False).ventilation


def test_no_checks_while_not_driven() -> None:
    verdict = evaluate(E, E, False, 50, 50, 100.0, True)
    assert verdict.state == E and not verdict.faulty
