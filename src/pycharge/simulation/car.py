"""The simulated EV as the board sees it: its CP state, its diode, the current it draws.

The EV reads the current it may draw from the PWM duty (IEC 61851-1, anchors.md) and draws the
smaller of that and what it wants, on each of its phases, while it is in C (or D) and the
supply is switched through. A car with ``overdraw`` set ignores the PWM's limit and draws
``OVERDRAW_FACTOR`` times the signalled current: the over-current the EVSE must catch.
"""

from __future__ import annotations

from pycharge.simulation.control_pilot import EV_LOAD_OHM

CAR_STATES = ("A", "B", "C", "D", "E")
OVERDRAW_FACTOR = 1.5


def signalled_current(duty_percent: float | None) -> float:
    """Current the EVSE offers by its duty cycle; 0 where the duty allows no charging."""
    if duty_percent is None or duty_percent < 8.0 or duty_percent > 97.0:
        return 0.0
    if duty_percent < 10.0:
        return 6.0
    if duty_percent <= 85.0:
        return duty_percent * 0.6
    if duty_percent <= 96.0:
        return (duty_percent - 64.0) * 2.5
    return 80.0


class Car:
    def __init__(self, max_current_a: float = 16.0, three_phases: bool = True) -> None:
        self.state = "A"
        self.diode_short = False
        self.overdraw = False
        self.requested_a = max_current_a
        self.phases = 3 if three_phases else 1

    @property
    def plugged(self) -> bool:
        return self.state != "A"

    def load_ohm(self) -> float | None:
        """The EV's resistor behind its diode; None when unplugged or shorting CP (E)."""
        return EV_LOAD_OHM.get(self.state)

    def currents(self, duty_percent: float | None, supplied: tuple[bool, bool, bool]
                 ) -> tuple[float, float, float]:
        """Current per phase L1..L3: on each phase both the car and the supply have."""
        if self.state not in ("C", "D"):
            return (0.0, 0.0, 0.0)
        allowed = signalled_current(duty_percent)
        amps = allowed * OVERDRAW_FACTOR if self.overdraw else min(self.requested_a, allowed)
        used = (True, self.phases == 3, self.phases == 3)
        return (amps if supplied[0] else 0.0, amps if supplied[1] and used[1] else 0.0,
                amps if supplied[2] and used[2] else 0.0)
