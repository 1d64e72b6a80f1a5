"""The contactor(s) built from the board's two relays, per phase-switching wiring (chargebyte.md §4.8).

Wirings (config ``switch_3ph1ph_wiring``):
- ``none``: one contactor on relay 1; relay 2's coil is held open and its SENSE is not watched.
- ``serial``: relay 1 is the primary (N+L1, and the secondary's coil path), relay 2 the secondary
  (L2+L3). Three phases close the secondary, then the primary; the secondary's feedback wait
  starts once the primary is confirmed, since it may only close through it. One phase: primary only.
- ``simultaneous``: both coils switch together; the contactor is closed if either is.
- ``mutual``: relay 1 is the three-phase contactor, relay 2 the one-phase one; exactly one is used.

Every method runs with :attr:`lock` held by the caller; none of them waits for anything.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field

from pycharge.modules.CbTarragonDriver.relays import Outcome, Relay


class Wiring(str, enum.Enum):
    NONE = "none"
    SERIAL = "serial"
    SIMULTANEOUS = "simultaneous"
    MUTUAL = "mutual"


POWER_ON, POWER_OFF = "PowerOn", "PowerOff"


@dataclass
class PollResult:
    """What one poll found: a confirmed switch (PowerOn/PowerOff) and/or new fault messages."""

    event: str | None = None
    faults: list[str] = field(default_factory=list)
    recheck_passed: bool = False


class Contactors:
    """Switches the relays of one wiring and follows their feedback."""

    def __init__(self, wiring: Wiring, relay_1: Relay, relay_2: Relay) -> None:
        self.wiring = wiring
        self.lock = threading.Lock()
        self.primary, self.secondary = relay_1, relay_2
        self.monitored = [relay_1] if wiring == Wiring.NONE else [relay_1, relay_2]
        names = {Wiring.NONE: ("Contactor", ""), Wiring.SERIAL: ("Primary", "Secondary"),
                 Wiring.SIMULTANEOUS: ("Primary", "Secondary"),
                 Wiring.MUTUAL: ("Contactor3ph", "Contactor1ph")}[wiring]
        relay_1.label = f"{names[0]}@{relay_1.name}"
        relay_2.label = f"{names[1]}@{relay_2.name}" if names[1] else relay_2.name
        self.fault: str | None = None
        self._switched: list[Relay] = []
        self._awaiting: str | None = None
        self._rechecking = False

    @property
    def closed(self) -> bool:
        """Any coil is on (the contactor counts as closed until every coil is off)."""
        return self.primary.coil_on or self.secondary.coil_on

    @property
    def busy(self) -> bool:
        """A switch still waits for its feedback, or a re-check is running."""
        return self._rechecking or any(r.pending_since is not None for r in self.monitored)

    def relays_for(self, phases: int) -> list[Relay]:
        """The relays to close for ``phases``, in closing order."""
        if self.wiring == Wiring.NONE:
            return [self.primary]
        if self.wiring == Wiring.SERIAL:
            return [self.secondary, self.primary] if phases == 3 else [self.primary]
        if self.wiring == Wiring.SIMULTANEOUS:
            return [self.primary, self.secondary]
        return [self.primary] if phases == 3 else [self.secondary]

    def ready_to_close_at(self, phases: int) -> float:
        """When the 10 s minimum close interval allows closing for ``phases``."""
        return max(relay.ready_to_close_at() for relay in self.relays_for(phases))

    def close(self, phases: int, now: float) -> None:
        relays = self.relays_for(phases)
        for relay in relays:
            relay.switch(True, now)
        self._start(relays, POWER_ON)

    def open(self, now: float) -> bool:
        """Open every closed coil at once; False if everything was open already."""
        relays = [r for r in (self.primary, self.secondary) if r.coil_on]
        for relay in relays:
            relay.switch(False, now)
        if relays:
            self._start(relays, POWER_OFF)
        return bool(relays)

    def force_open(self) -> None:
        """For ``safe_state``: coils off, no bookkeeping, no lock."""
        self.primary.force_open()
        self.secondary.force_open()

    def recheck(self, now: float) -> None:
        """Command every relay open (again) and watch whether the feedback confirms it.

        Used on a fault and when the CP returns to A with a fault active: the fault clears only
        if this open is confirmed by every feedback (see :meth:`poll`).
        """
        was_closed = self.closed
        relays = [r for r in (self.primary, self.secondary) if r.coil_on or r in self.monitored]
        for relay in relays:
            relay.switch(False, now)
        self._start(relays, POWER_OFF if was_closed else None)
        self._rechecking = True

    def _start(self, relays: list[Relay], event: str | None) -> None:
        self._switched = relays
        self._awaiting = event
        self._rechecking = False

    def read_feedback(self, now: float) -> None:
        for relay in self.monitored:
            relay.read_feedback(now)

    def poll(self, now: float) -> PollResult:
        """Check the watched relays' feedback; on a new disagreement open everything."""
        result = PollResult()
        for relay in self.monitored:
            report = relay.poll(now)
            if report is None:
                continue
            if report.outcome == Outcome.CONFIRMED:
                if self.wiring == Wiring.SERIAL and relay is self.primary and relay.coil_on:
                    self.secondary.expect_from(now)
            else:
                result.faults.append(report.message)
        if result.faults:
            first_fault = self.fault is None
            self.fault = self.fault or result.faults[0]
            if first_fault or self.closed:
                self.recheck(now)
            else:
                self._rechecking = False
        if self._awaiting and all(relay.matches for relay in self._switched):
            result.event, self._awaiting = self._awaiting, None
        if self._rechecking and all(relay.matches for relay in self.monitored):
            self._rechecking = False
            result.recheck_passed = True
        return result

    def clear_fault(self) -> None:
        self.fault = None
