"""The proximity pilot (PP, ADC ``voltage5``): the cable's coding resistor against a pull-up.

chargebyte's sources give only the thresholds, not the circuit. We assume 3.3 V through a
1 kΩ pull-up, then 220 Ω in series to the PP contact, the cable's resistor to PE. That puts
every nominal resistor inside its window (1.5 kΩ → 2087 mV, 680 Ω → 1563 mV, 220 Ω → 1008 mV,
100 Ω → 800 mV), an open PP at 3.3 V (no cable) and a short at 595 mV (measurement error).
A plug not pushed fully home (``contact_open``) has its PP contact open: it reads as no cable.
"""

from __future__ import annotations

PULL_UP_V = 3.3
PULL_UP_OHM = 1000.0
SERIES_OHM = 220.0
CODING_RESISTORS_OHM = (1500, 680, 220, 100)


def pp_pin_voltage(resistor_ohm: float | None) -> float:
    """PP pin voltage for a coding resistor to PE; None is an open PP."""
    if resistor_ohm is None:
        return PULL_UP_V
    load = resistor_ohm + SERIES_OHM
    return PULL_UP_V * load / (load + PULL_UP_OHM)


class Proximity:
    """Which cable is in the socket, if any."""

    def __init__(self, cable_ohm: float = 220.0) -> None:
        self.cable_ohm = cable_ohm
        self.inserted = False
        self.shorted = False
        self.contact_open = False

    def resistor_ohm(self) -> float | None:
        if self.shorted:
            return 0.0
        return self.cable_ohm if self.inserted and not self.contact_open else None

    def pin_voltage(self) -> float:
        return pp_pin_voltage(self.resistor_ohm())
