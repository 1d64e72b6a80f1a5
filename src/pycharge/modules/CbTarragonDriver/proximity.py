"""Proximity pilot: the cable's current rating from the PP resistor (sockets only, chargebyte.md §4.11).

The pin voltage is sampled every 500 ms and mapped with chargebyte's thresholds. What to publish
and which MREC23ProximityFault to raise or clear is decided here, without hardware, so the
rules can be tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

PP_PERIOD_S = 0.5
PROXIMITY_FAULT = "evse_board_support/MREC23ProximityFault"
MEASUREMENT_ERROR, PLUG_REMOVAL = "MeasurementError", "PlugRemoval"

# (lowest mV, ampacity), first match from the top.
_THRESHOLDS = ((2459, "None"), (1813, "A_13"), (1170, "A_20"), (891, "A_32"),
               (751, "A_63_3ph_70_1ph"))


def adc_to_pp_mv(raw: int) -> int:
    """PP ADC counts to the pin voltage in mV (chargebyte divides by 4096 here, not 4095)."""
    return raw * 3300 // 4096


def ampacity(mv: int) -> str | None:
    """The ampacity for a pin voltage, or None when it is out of range (short or invalid)."""
    for lowest, value in _THRESHOLDS:
        if mv >= lowest:
            return value
    return None


@dataclass(frozen=True)
class PpDecision:
    """What one PP sample leads to."""

    publish: str | None = None                  # ampacity to publish
    raise_fault: tuple[str, str] | None = None  # (sub_type, message)
    clear: tuple[str, ...] = ()                 # sub_types of MREC23ProximityFault to clear


class ProximityObserver:
    """Publishing and error rules for the PP readings.

    - Publish a value only when it differs from the last published one and the EVSE is enabled.
    - Below 751 mV: MREC23ProximityFault/MeasurementError, cleared by the next valid reading
      (chargebyte clears only on a *changed* valid reading, so an unchanged cable stayed faulted).
    - No cable while the CP is C or D: MREC23ProximityFault/PlugRemoval, cleared when a cable
      is seen again.
    - The CP returning to A clears both (see :meth:`cp_state_a`).
    """

    def __init__(self) -> None:
        self.published: str | None = None
        self.active: set[str] = set()

    def sample(self, mv: int, enabled: bool, cp_state: str) -> PpDecision:
        value = ampacity(mv)
        if value is None:
            self.active.add(MEASUREMENT_ERROR)
            return PpDecision(raise_fault=(MEASUREMENT_ERROR, "The measured voltage for the "
                                           f"Proximity Pilot is out-of-range (U_PP: {mv} mV)"))
        publish = value if enabled and value != self.published else None
        if publish is not None:
            self.published = publish
        clear = {MEASUREMENT_ERROR} if value == "None" else {MEASUREMENT_ERROR, PLUG_REMOVAL}
        clear &= self.active
        self.active -= clear
        fault = None
        if value == "None" and cp_state in ("C", "D"):
            self.active.add(PLUG_REMOVAL)
            fault = (PLUG_REMOVAL, "Plug removed from socket during charge")
        return PpDecision(publish, fault, tuple(sorted(clear)))

    def cp_state_a(self) -> tuple[str, ...]:
        """The CP went to A: the PP fault sub-types to clear."""
        cleared, self.active = tuple(sorted(self.active)), set()
        return cleared
