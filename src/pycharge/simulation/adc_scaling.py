"""chargebyte's ADC conversions, and their inverse: which raw count the board would read.

The driver converts raw counts to millivolts with chargebyte's integer formulas; the model goes
the other way, picking the raw count whose conversion lands nearest to the modelled voltage, so
the driver's arithmetic (truncations included) sees what it would see on the board.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

ADC_MAX = 4095


def cp_mv(raw: int) -> int:
    """CP peak detector: chargebyte's fitted transfer (CbTarragonDriver)."""
    return (raw * 3300 // 4095) * 4561 // 476 - 16013


def pp_mv(raw: int) -> int:
    """Proximity pilot pin voltage (divides by 4096, as chargebyte's PP code does)."""
    return raw * 3300 // 4096


def sense_mv(raw: int) -> int:
    """Plug-lock feedback pin voltage."""
    return raw * 3300 // 4095


def capacitor_mv(raw: int) -> int:
    """Plug-lock backup capacitor voltage behind its 90/22 divider."""
    return (raw * 3300 // 4095) * 90 // 22


class _Curve:
    """A monotonic raw -> mV conversion as a list, so the inverse is a bisection."""

    def __init__(self, to_mv: Callable[[int], int]) -> None:
        self.values = [to_mv(raw) for raw in range(ADC_MAX + 1)]

    def nearest_raw(self, millivolts: float) -> int:
        index = bisect_left(self.values, millivolts)
        if index > ADC_MAX:
            return ADC_MAX
        if index > 0 and millivolts - self.values[index - 1] <= self.values[index] - millivolts:
            return index - 1
        return index


_CURVES: dict[Callable[[int], int], _Curve] = {}


def raw_for(millivolts: float, to_mv: Callable[[int], int]) -> int:
    """The raw count (0..4095) whose ``to_mv`` conversion is nearest to ``millivolts``."""
    curve = _CURVES.get(to_mv)
    if curve is None:
        curve = _CURVES[to_mv] = _Curve(to_mv)
    return curve.nearest_raw(millivolts)
