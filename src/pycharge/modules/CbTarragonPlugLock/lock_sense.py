"""The lock's analogue signals and the windows that say where the lock is (chargebyte.md §6).

The feedback is a pin voltage (no divider); the backup capacitor is read behind a 90/22
divider. Both use chargebyte's integer maths, and window checks include both bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ADC_FULL_SCALE_MV = 3300


def adc_to_sense_mv(raw: int) -> int:
    return raw * 3300 // 4095


def adc_to_capacitor_mv(raw: int) -> int:
    return (raw * 3300 // 4095) * 90 // 22


@dataclass(frozen=True)
class Window:
    """An inclusive feedback voltage range in mV."""

    low: int
    high: int

    def __contains__(self, mv: object) -> bool:
        return isinstance(mv, int) and self.low <= mv <= self.high


def windows(config: Mapping[str, Any]) -> tuple[Window, Window]:
    """(unlocked, locked) windows from the config; ValueError naming the keys if one is invalid."""
    found = []
    for which in ("unlocked", "locked"):
        low_key, high_key = (f"{which}_threshold_voltage_{end}" for end in ("min", "max"))
        low, high = config[low_key], config[high_key]
        for key, value in ((low_key, low), (high_key, high)):
            if not 0 <= value <= ADC_FULL_SCALE_MV:
                raise ValueError(f"{key} = {value} mV is outside 0..{ADC_FULL_SCALE_MV} mV")
        if low > high:
            raise ValueError(f"{low_key} ({low} mV) is above {high_key} ({high} mV)")
        found.append(Window(low, high))
    return found[0], found[1]
