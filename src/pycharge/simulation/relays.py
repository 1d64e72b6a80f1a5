"""A relay on X14: its coil (RELAY_n_ENABLE), its contact, and the sense line that mirrors it.

The contact follows the coil after ``contact_delay_s`` (mechanical travel). A welded contact
does not open; a stuck one does not close. The sense input (RELAY_n_SENSE, referenced to N)
reads active while the contact is closed.
"""

from __future__ import annotations

CONTACT_DELAY_S = 0.015


class Relay:
    def __init__(self, number: int, contact_delay_s: float = CONTACT_DELAY_S) -> None:
        self.number = number
        self.name = f"relay{number}"
        self.contact_delay_s = contact_delay_s
        self.coil = False
        self.contact = False
        self.welded = False
        self.stuck = False
        self._pending: tuple[float, bool] | None = None

    def _target(self) -> bool:
        if self.coil and self.stuck and not self.contact:
            return False
        if not self.coil and self.welded and self.contact:
            return True
        return self.coil

    def reschedule(self, now: float) -> None:
        """After a coil or fault change: when, if ever, the contact moves next."""
        target = self._target()
        if target == self.contact:
            self._pending = None
        elif self._pending is None or self._pending[1] != target:
            self._pending = (now + self.contact_delay_s, target)

    def set_coil(self, energised: bool, now: float) -> None:
        self.coil = energised
        self.reschedule(now)

    def next_change(self) -> float | None:
        return self._pending[0] if self._pending else None

    def apply_due(self, now: float) -> bool:
        """Move the contact if its time has come; True if it moved."""
        if self._pending is None or self._pending[0] > now:
            return False
        self.contact = self._pending[1]
        self._pending = None
        return True
