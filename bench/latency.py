"""Charging sessions on the simulated board that time the stack's reactions (board's own clock).

The benchmark plays car and installation itself (``sim_driver``). One session goes: plug in (B)
until the PWM is on; C until the relays are closed; an RCM trip, a CP short to PE and a pause by
the car (C->B), each followed by recovery and closing again; finally unplugging (C->A) while
charging. Sessions repeat until every figure has its number of events.

The board driver's 10 s minimum interval between two closings of the relays protects the
relays; it does not touch the opening path. Waiting it out 4 x 200 times would take hours, so
it is set to zero for the sessions (``close_interval``) and measured once on its own
(:meth:`Sessions.close_interval`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench.bus_watch import Watch
from bench.inprocess import InProcessStack
from bench.sim_driver import SimulatedSite, Switching

OPENING = {
    "rcm": "RCM trip -> relays open",
    "cp_fault": "CP short to PE (state E) -> relays open",
    "pause": "car C->B (pause) -> relays open",
    "unplug": "car C->A (unplug) -> relays open",
}
PLUG_IN, CLOSE = "plug_in", "close"
LABELS = {**OPENING, PLUG_IN: "plug-in (B) -> PWM on",
          CLOSE: "PWM on + C -> relays closed (close interval excluded)"}
CLOSE_TIMEOUT_S = 1.0      # real seconds for the relays to close (about 0.1 s when they do)
RECOVERY_TIMEOUT_S = 3.0   # real seconds for the PWM to go off after a fault / on after it
SESSION_END_TIMEOUT_S = 10.0
REAL_MARGIN_S = 5.0


@contextmanager
def close_interval(seconds: float) -> Iterator[float]:
    """Set the board driver's minimum close interval; yields the shipped value."""
    from pycharge.modules.CbTarragonDriver import relays
    shipped = getattr(relays, "MIN_CLOSE_INTERVAL_S", None)
    if shipped is None:
        raise RuntimeError("CbTarragonDriver.relays.MIN_CLOSE_INTERVAL_S is gone: "
                           "update bench/latency.py")
    relays.MIN_CLOSE_INTERVAL_S = seconds
    try:
        yield shipped
    finally:
        relays.MIN_CLOSE_INTERVAL_S = shipped


def empty_series() -> dict[str, dict[str, list[float]]]:
    """Samples in ms per figure: coil and contact for the relay figures, pwm for plug-in."""
    series: dict[str, dict[str, list[float]]] = {
        key: {"coil": [], "contact": []} for key in (*OPENING, CLOSE)}
    series[PLUG_IN] = {"pwm": []}
    return series


class SessionEnds:
    """Counts the EvseManager's SessionFinished events, so the next plug-in waits for the end."""

    def __init__(self, stack: InProcessStack, evse_id: str) -> None:
        manifest = stack.manager.modules[evse_id].manifest
        impl = next(i for i, p in manifest.provides.items() if p.interface == "evse_manager")
        self.watch = Watch(stack.manager.connection)
        self.watch.follow(stack.manager.topics.var(evse_id, impl, "session_event"))

    def finished(self) -> int:
        return sum(json.loads(p)["data"].get("event") == "SessionFinished"
                   for _, p in self.watch.messages)

    def wait_beyond(self, count: int) -> None:
        self.watch.wait_for(lambda _m: self.finished() > count, SESSION_END_TIMEOUT_S,
                            "SessionFinished after unplugging")


class Sessions:
    """Charging sessions on one simulated site until each figure has ``events`` samples."""

    def __init__(self, site: SimulatedSite, ends: SessionEnds, events: int) -> None:
        self.site = site
        self.ends = ends
        self.events = events
        self.series = empty_series()
        self.notes: list[str] = []
        self.sessions = 0

    def count(self, key: str) -> int:
        return len(next(iter(self.series[key].values())))

    def add(self, key: str, switching: Switching) -> None:
        self.series[key]["coil"].append(switching.coil_ms)
        self.series[key]["contact"].append(switching.contact_ms)

    def run(self, budget_s: float) -> None:
        deadline = time.monotonic() + budget_s
        while any(self.count(key) < self.events for key in (*OPENING, PLUG_IN)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"latency: {self.sessions} sessions in {budget_s:.0f} s did "
                                   f"not give {self.events} events of each kind")
            self.session(("rcm", "cp_fault", "pause"))

    def session(self, interruptions: tuple[str, ...]) -> None:
        """Plug in, charge, interrupt (while more samples are wanted), unplug."""
        site = self.site
        self.sessions += 1
        site.log.clear()
        finished = self.ends.finished()
        plugged = site.car("B")
        pwm = site.pwm_on(plugged)
        if pwm is None:
            self._note("plug-in: no PWM")
        else:
            self.series[PLUG_IN]["pwm"].append((pwm - plugged) * 1000.0)
            charging = self._charge(pwm, "plug-in")
            for kind in interruptions:
                if charging and self.count(kind) < self.events:
                    charging = self._interrupt(kind)
            if charging:
                self._open("unplug", lambda: site.car("A"))
        site.car("A")
        self.ends.wait_beyond(finished)

    def close_interval(self, shipped_s: float) -> dict[str, float]:
        """With the shipped interval: charge, pause, resume at once; how long closing waited."""
        site = self.site
        site.log.clear()
        finished = self.ends.finished()
        pwm = site.pwm_on(site.car("B"))
        if pwm is None:
            raise RuntimeError("close interval: no PWM after plugging in")
        # Either closing may wait out the interval (the first one since the last session's);
        # the simulated clock runs no faster than real time, and slower on a busy machine.
        timeout = 2 * shipped_s + REAL_MARGIN_S
        first = site.car_charges(pwm)
        first_close = site.switching(["relay1"], True, first, timeout)
        paused = site.car("B")
        opened = site.switching(["relay1"], False, paused)
        resumed = site.car_charges(paused)
        second = site.switching(["relay1"], True, resumed, timeout)
        site.car("A")
        self.ends.wait_beyond(finished)
        if not all(math.isfinite(s.coil_ms) for s in (first_close, opened, second)):
            raise RuntimeError("close interval: the relays did not close, open, close again")
        return {"shipped_s": shipped_s,
                "close_to_close_s": round(resumed + second.coil_ms / 1000.0
                                          - first - first_close.coil_ms / 1000.0, 4),
                "held_back_s": round(second.coil_ms / 1000.0, 4)}

    def _charge(self, pwm_since: float, after: str) -> bool:
        """The car goes to C (the PWM is on since ``pwm_since``): time until the relays close."""
        started = self.site.car_charges(pwm_since)
        closing = self.site.switching(["relay1"], True, started, CLOSE_TIMEOUT_S)
        self.add(CLOSE, closing)
        if closing.contact_ms == float("inf"):
            self._note(f"{after}: relays did not close in state C")
            return False
        return True

    def _open(self, kind: str, cause: Callable[[], float]) -> None:
        closed = self.site.closed_relays()
        self.add(kind, self.site.switching(closed, False, cause()))

    def _interrupt(self, kind: str) -> bool:
        """Cause ``kind`` while charging, time the opening, recover, charge again."""
        site = self.site
        causes = {"rcm": lambda: site.residual_current(True),
                  "cp_fault": lambda: site.fault("cp_short", True),
                  "pause": lambda: site.car("B")}
        self._open(kind, causes[kind])
        if kind != "pause" and site.pwm_off(RECOVERY_TIMEOUT_S) is None:
            self._note(f"{kind}: the PWM stayed on")
        site.car("B")  # the PWM is gone (or the car paused): a regulated car waits in B
        if kind == "rcm":
            recovered = site.residual_current(False)
        elif kind == "cp_fault":
            recovered = site.fault("cp_short", False)
        else:
            recovered = site.board.advance()
        pwm = site.pwm_on(recovered, RECOVERY_TIMEOUT_S)
        if pwm is None:
            self._note(f"{kind}: no PWM within {RECOVERY_TIMEOUT_S:.0f} s after recovery")
            return False
        return self._charge(pwm, kind)

    def _note(self, text: str) -> None:
        """Things that did not go as a charger should: counted, reported, not fatal."""
        self.notes.append(text)
