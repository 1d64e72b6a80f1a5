"""The plug-lock motor on X9 (DRV8872 #1), its position feedback and its backup capacitor.

IN1 reaches the driver through an inverter (the line is MOTOR_1_DRIVER_IN1_N), IN2 directly.
Forward (IN1 only) drives towards unlocked, backward (IN2 only) towards locked; both or neither
hold the motor (brake / coast). The feedback (ADC ``voltage0``) moves linearly from the
unlocked level to the locked level while the lock travels, passing through neither of
chargebyte's windows in between. The backup capacitor (ADC ``voltage4``, behind a 90/22
divider) charges from the supply from the moment the board is powered.

Faults: a jammed lock does not move; a lock held at one end stop (``held``: forced open or
closed, as by a broken mechanism or by hand) stays there whatever the motor does; a dead
backup capacitor never charges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LockElectrics:
    travel_s: float = 0.3
    unlocked_sense_v: float = 3.1
    locked_sense_v: float = 0.4
    supply_v: float = 12.5
    capacitor_tau_s: float = 1.0


MOTOR_MODES = {(True, False): "forward", (False, True): "backward",
               (True, True): "brake", (False, False): "coast"}


class PlugLock:
    def __init__(self, powered_at: float, electrics: LockElectrics | None = None) -> None:
        self.electrics = electrics or LockElectrics()
        self.powered_at = powered_at
        self.motor = "coast"
        self.jammed = False
        self.held: float | None = None  # 0.0 held unlocked, 1.0 held locked
        self.capacitor_dead = False
        self._position = 0.0  # 0 unlocked … 1 locked
        self._since = powered_at

    def _direction(self) -> int:
        if self.jammed or self.held is not None:
            return 0
        return {"forward": -1, "backward": 1}.get(self.motor, 0)

    def position(self, now: float) -> float:
        if self.held is not None:
            return self.held
        moved = self._direction() * (now - self._since) / self.electrics.travel_s
        return min(1.0, max(0.0, self._position + moved))

    def set_motor(self, mode: str, now: float) -> None:
        self._position = self.position(now)
        self._since = now
        self.motor = mode

    def set_jammed(self, jammed: bool, now: float) -> None:
        self._position = self.position(now)
        self._since = now
        self.jammed = jammed

    def set_held(self, end: float | None, now: float) -> None:
        """Hold the lock at an end stop (None: release it where it is)."""
        self._position = self.position(now)
        self._since = now
        self.held = end

    def next_change(self) -> float | None:
        """When a moving lock reaches its end stop."""
        direction = self._direction()
        if direction == 0:
            return None
        end = 1.0 if direction > 0 else 0.0
        if self._position == end:
            return None
        return self._since + abs(end - self._position) * self.electrics.travel_s

    def apply_due(self, now: float) -> bool:
        due = self.next_change()
        if due is None or due > now:
            return False
        # next_change() is the moment an end stop is reached: land on it exactly, or rounding
        # would leave the lock a hair short of it and the same change due forever.
        self._position = 1.0 if self._direction() > 0 else 0.0
        self._since = due
        return True

    def state(self, now: float) -> str:
        position = self.position(now)
        return "unlocked" if position <= 0.0 else "locked" if position >= 1.0 else "moving"

    def sense_v(self, now: float) -> float:
        e = self.electrics
        return e.unlocked_sense_v + (e.locked_sense_v - e.unlocked_sense_v) * self.position(now)

    def capacitor_v(self, now: float) -> float:
        e = self.electrics
        if self.capacitor_dead:
            return 0.0
        return e.supply_v * (1.0 - math.exp(-(now - self.powered_at) / e.capacitor_tau_s))
