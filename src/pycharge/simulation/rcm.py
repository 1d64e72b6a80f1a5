"""The residual current monitor: an external RDC-DD whose trip contact feeds a digital input.

It trips at ``trip_ma`` of residual current (6 mA DC, IEC 62955's RDC-DD threshold) or when a
trip is injected, and then puts ``output_v`` on its input (DIG_IN_2 by default, as wired in
chargebyte's examples).
"""

from __future__ import annotations

TRIP_MA = 6.0
OUTPUT_V = 12.0


class ResidualCurrentMonitor:
    def __init__(self, input_number: int = 2, trip_ma: float = TRIP_MA) -> None:
        self.input_number = input_number
        self.trip_ma = trip_ma
        self.residual_ma = 0.0
        self.forced = False

    @property
    def tripped(self) -> bool:
        return self.forced or self.residual_ma >= self.trip_ma

    def output_v(self) -> float:
        return OUTPUT_V if self.tripped else 0.0
