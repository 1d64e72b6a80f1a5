"""The simulated power meter: energy is V x I integrated over simulated time, per phase.

The board hands it the phase currents whenever they change; between changes they are constant,
so the integral is exact.
"""

from __future__ import annotations

import math
from typing import Any

from pycharge.runtime.clock import rfc3339

NOMINAL_V = 230.0
PHASES = ("L1", "L2", "L3")


class Meter:
    def __init__(self, now: float, voltage_v: float = NOMINAL_V, meter_id: str = "PYCHARGE-SIM"
                 ) -> None:
        self.voltage_v = voltage_v
        self.meter_id = meter_id
        self.currents_a = (0.0, 0.0, 0.0)
        self.energy_wh = [0.0, 0.0, 0.0]
        self._since = now

    def integrate(self, now: float) -> None:
        elapsed = max(0.0, now - self._since)
        for phase, amps in enumerate(self.currents_a):
            self.energy_wh[phase] += self.voltage_v * amps * elapsed / 3600.0
        self._since = max(self._since, now)

    def set_currents(self, now: float, currents_a: tuple[float, float, float]) -> bool:
        """Integrate up to ``now`` at the old currents, then switch; True if they changed."""
        self.integrate(now)
        changed = currents_a != self.currents_a
        self.currents_a = currents_a
        return changed

    def power_w(self) -> list[float]:
        return [self.voltage_v * amps for amps in self.currents_a]

    def neutral_a(self) -> float:
        """The phasor sum of three currents 120° apart (0 when balanced)."""
        a, b, c = self.currents_a
        return math.sqrt(max(0.0, a * a + b * b + c * c - a * b - b * c - c * a))

    def reading(self, now: float) -> dict[str, Any]:
        """A ``powermeter#/Powermeter`` value (import only; the EV never feeds back here)."""
        self.integrate(now)
        power = self.power_w()
        return {
            "timestamp": rfc3339(),
            "meter_id": self.meter_id,
            "energy_Wh_import": {"total": sum(self.energy_wh),
                                 **dict(zip(PHASES, self.energy_wh, strict=True))},
            "power_W": {"total": sum(power), **dict(zip(PHASES, power, strict=True))},
            "current_A": {**dict(zip(PHASES, self.currents_a, strict=True)), "N": self.neutral_a()},
            "voltage_V": dict.fromkeys(PHASES, self.voltage_v),
        }
