"""When the contactors may close and when they must open: the driver's own safety decision.

EvseManager asks with ``allow_power_on``; the sampling loop tells this object, every sample,
whether something forbids power (CP not in C, a CP fault, RCM trip, lost heartbeat, contactor or
PP fault). Closing happens only here, in the sampling loop, once the request was accepted, the
10 s minimum close interval is over and nothing forbids it at that very sample. Opening happens
at once, from whichever thread learns of the reason, and cancels a pending close.
"""

from __future__ import annotations

import logging

from pycharge.modules.CbTarragonDriver.contactors import Contactors


class PowerControl:
    """The permission to close, the pending close and the reason that forbids power, if any."""

    def __init__(self, contactors: Contactors, log: logging.Logger) -> None:
        self.contactors = contactors
        self.log = log
        self.phases = 3
        self.close_at: float | None = None
        self.forbidden_by: str | None = "the control pilot has not been measured yet"

    @property
    def pending(self) -> bool:
        return self.close_at is not None

    def request(self, allow: bool, now: float) -> str | None:
        """``allow_power_on``; returns why a close is refused, or None when accepted/done."""
        with self.contactors.lock:
            if not allow:
                if self.close_at is not None:
                    self.log.info("pending close cancelled")
                self.close_at = None
                self.contactors.open(now)
                return None
            if self.forbidden_by is not None:
                return self.forbidden_by
            if self.contactors.closed or self.close_at is not None:
                return None
            self.close_at = max(now, self.contactors.ready_to_close_at(self.phases))
            if self.close_at > now:
                self.log.warning("closing delayed by %.1f s (minimum close interval of the relays)",
                                 self.close_at - now)
            return None

    def set_phases(self, phases: int) -> None:
        """The phase count of the next close. Never switches a relay: while the contactor is
        closed the new count waits for the next close, so the phase relay is never flipped
        under load; a pending close waits for the minimum close interval of the new relays."""
        with self.contactors.lock:
            if phases == self.phases:
                return
            self.phases = phases
            if self.contactors.closed:
                self.log.warning("%d phase(s) requested while the relays are closed: nothing "
                                 "switched now, the next close uses them", phases)
            elif self.close_at is not None:
                self.close_at = max(self.close_at, self.contactors.ready_to_close_at(phases))
            self.log.info("%d phase(s) from the next close on", phases)

    def step(self, now: float, forbidden_by: str | None) -> bool:
        """One sample: open if forbidden, close if due. Returns True if the relays were opened."""
        with self.contactors.lock:
            self.forbidden_by = forbidden_by
            if forbidden_by is not None:
                cancelled, self.close_at = self.close_at is not None, None
                opened = self.contactors.open(now)
                if opened or cancelled:  # faults log their own error; a car leaving C is normal
                    self.log.info("%s: %s", "relays opened" if opened else "pending close "
                                  "cancelled", forbidden_by)
                return opened
            if self.close_at is not None and now >= self.close_at:
                self.close_at = None
                self.contactors.close(self.phases, now)
            return False

    def open_now(self, now: float, why: str) -> None:
        """Open at once from any thread (a fault learnt outside the sampling loop)."""
        with self.contactors.lock:
            self.close_at = None
            if self.contactors.open(now):
                self.log.warning("relays opened: %s", why)
