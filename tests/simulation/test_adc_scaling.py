"""chargebyte's conversions and the model's inverse (chargebyte.md §4.5, §4.11, §6, §10)."""

from __future__ import annotations

import pytest

from pycharge.simulation.adc_scaling import capacitor_mv, cp_mv, pp_mv, raw_for, sense_mv

# CbTarragonDriver unit test vectors: raw -> mV
CP_VECTORS = [(0, -16013), (527, -11951), (940, -8760), (1024, -8108), (2048, -203), (2074, -2),
              (2075, 7), (2411, 2595), (3072, 7702), (3606, 11822), (4095, 15607)]


@pytest.mark.parametrize(("raw", "millivolts"), CP_VECTORS)
def test_cp_conversion_matches_chargebytes_vectors(raw: int, millivolts: int) -> None:
    assert cp_mv(raw) == millivolts
    assert cp_mv(raw_for(millivolts, cp_mv)) == millivolts


@pytest.mark.parametrize("to_mv", [cp_mv, pp_mv, sense_mv, capacitor_mv])
def test_inverse_lands_within_one_count(to_mv) -> None:
    for raw in range(0, 4096, 37):
        target = to_mv(raw) + 0.4
        found = raw_for(target, to_mv)
        step = max(to_mv(min(found + 1, 4095)) - to_mv(found), to_mv(found) - to_mv(max(found - 1, 0)))
        assert abs(to_mv(found) - target) <= step / 2 + 0.5


def test_inverse_clamps_to_the_adc_range() -> None:
    assert raw_for(99_999, cp_mv) == 4095
    assert raw_for(-99_999, cp_mv) == 0


def test_other_conversions() -> None:
    assert pp_mv(4095) == 3299
    assert sense_mv(4095) == 3300
    assert capacitor_mv(4095) == 13500
    assert capacitor_mv(raw_for(12_500, capacitor_mv)) == pytest.approx(12_500, abs=4)
