"""The simulated car's battery, as EvManager keeps it: a capacity and a charge, both in Wh.

EvManager starts every session at its ``soc`` setting of ``dc_energy_capacity`` and adds the
power it assumes it draws; here the battery gets the energy the simulated meter actually saw
flow into the car. The SoC stays within 0..100 % (a full battery keeps drawing, as EvManager's
does).
"""

from __future__ import annotations


class Battery:
    def __init__(self, capacity_wh: float = 60000.0, start_soc_percent: float = 30.0) -> None:
        if capacity_wh <= 0:
            raise ValueError(f"battery capacity must be above 0 Wh, not {capacity_wh}")
        self.capacity_wh = capacity_wh
        self.start_soc_percent = start_soc_percent
        self.charge_wh = 0.0
        self.reset()

    def reset(self) -> None:
        """Back to the SoC a session starts with."""
        self.set_soc(self.start_soc_percent)

    def set_soc(self, percent: float) -> None:
        check_soc(percent)
        self.charge_wh = self.capacity_wh * percent / 100.0

    def add(self, energy_wh: float) -> None:
        self.charge_wh = min(self.capacity_wh, self.charge_wh + energy_wh)

    @property
    def soc_percent(self) -> float:
        return min(100.0, max(0.0, self.charge_wh / self.capacity_wh * 100.0))


def check_soc(percent: float) -> None:
    """EvManager's rule for ``set_soc``: 0..100 %."""
    if not 0.0 <= percent <= 100.0:
        raise ValueError(f"SoC value {percent:g} is out of range (0-100)")
