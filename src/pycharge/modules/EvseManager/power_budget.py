"""The current the charger may offer: the energy manager's budget, valid for a while only.

The EnergyManager re-sends ``enforce_limits`` every second with ``valid_for`` (10 s). If the
updates stop, the budget expires and the charger falls back to 0 A, which pauses charging.
Expiry is measured on the monotonic clock: a jump of the wall clock (an OCPP time sync) must
not make a budget expire (EVerest#1068). The warning is logged once per expiry, not every loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

MIN_AC_CURRENT_A = 5.9  # below this no duty cycle exists: no power available
PP_AMPACITY_A = {"A_13": 13.0, "A_20": 20.0, "A_32": 32.0}

def pp_ampacity_to_ampere(ampacity: str, max_phases: int) -> float:
    """Cable rating from the proximity pilot; 63 A three-phase or 70 A single-phase; else 0."""
    if ampacity == "A_63_3ph_70_1ph":
        return 70.0 if max_phases == 1 else 63.0
    return PP_AMPACITY_A.get(ampacity, 0.0)


def limit_from_enforced(limits_root_side: Mapping[str, Any], nominal_voltage: float,
                        phases: int) -> float:
    """The current per phase an ``EnforcedLimits.limits_root_side`` allows.

    A power limit is turned into a current with the nominal voltage and the active phases;
    the smaller of both limits wins. Without any limit the answer is 0 A. (EVerest also gives
    0 A for a power limit without a current limit; here the power limit alone applies.)
    """
    current = limits_root_side.get("ac_max_current_A")
    power = limits_root_side.get("total_power_W")
    if power is None:
        return float(current["value"]) if current is not None else 0.0
    from_power = float(power["value"]) / nominal_voltage / max(phases, 1)
    if current is None:
        return from_power
    limit = float(current["value"])
    if (limit >= 0 and limit > from_power) or (limit < 0 and limit < from_power):
        return from_power
    return limit


class PowerBudget:
    """The budgeted current with its expiry, capped by the cable rating on sockets.

    ``on_change(ampere)`` is told the effective limit whenever it changes (publish ``limits``,
    set the board's over-current limit).
    """

    def __init__(self, now: Callable[[], float], on_change: Callable[[float], None],
                 log: logging.Logger) -> None:
        self._now = now
        self._on_change = on_change
        self._log = log
        self.max_current = 0.0
        self.valid_until = float("-inf")
        self.cable_limit = 0.0
        self.socket = False
        self.idle = True
        self._expired_logged = False

    def set_max_current(self, ampere: float, valid_for: float) -> bool:
        """Accept a budget valid for ``valid_for`` seconds from now; refuse an expired one."""
        if valid_for <= 0:
            return False
        self.max_current = abs(ampere)
        self.valid_until = self._now() + valid_for
        self._expired_logged = False
        self._on_change(self.effective())
        return True

    def set_cable_limit(self, ampere: float) -> None:
        if ampere != self.cable_limit:
            self.cable_limit = ampere
            self._on_change(self.effective())

    def effective(self) -> float:
        """The limit the car may be offered now (the cable caps it, except in Idle)."""
        if self.socket and not self.idle and self.cable_limit < self.max_current:
            return self.cable_limit
        return self.max_current

    def available(self) -> bool:
        """Whether enough current is budgeted to charge; an expired budget drops to 0 A."""
        overrun = self._now() - self.valid_until
        if overrun > 0:
            if not self._expired_logged:
                self._log.warning("Power budget expired %.1f s ago, falling back to 0 A", overrun)
                self._expired_logged = True
            if self.max_current > 0:
                self.max_current = 0.0
                self._on_change(self.effective())
        return self.effective() > MIN_AC_CURRENT_A
