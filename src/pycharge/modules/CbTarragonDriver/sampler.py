"""The driver's sampling loop: measure the CP, then act on it in the same iteration.

Each iteration measures both peak detectors, debounces, reads the RCM input and the relay
feedback, and lets :class:`PowerControl` open the relays at once if anything forbids power, or
close them when an accepted ``allow_power_on`` is due. No bus message is waited for: the relays
open within one sample period of the confirmed change. What the module has to publish is handed
to the listener, which queues it for the module's own thread.

The sample period follows what a late sample could cost (IEC 61851-1: 100 ms from C->B, a
disconnect or a fault to de-energized; our goal for C->B is contacts open within 30 ms). A CP
change is seen at the end of the sample in which it happens (the peak detectors hold what came
since their release) and confirmed by the next sample, which follows at once: while a change,
a close or a relay's feedback is pending the loop runs at full rate (one 3.5 ms measurement
after the other). With the relays closed and all settled it samples every 8 ms: a car leaving
C raises the positive peak (B 9 V, A 12 V above C's 6 V), so the relays' coils are off within
8 + 3.5 ms of the change and their contacts (15 ms release) within about 27 ms; a fall (D, E, a
diode fault) can need one sample more, about 20 ms to the coils. With the relays open nothing
can be de-energized late: with PWM on (the car may ask for power) it samples every 20 ms, so
the relays close at most a few tens of ms later than they could; with PWM off (no car, or a car
not yet authorized) every ``cp_idle_sample_period_ms`` (default 200 ms), which only delays
noticing a plug-in. A long sample releases the peak detectors at its start, so the reading at
its end holds the CP's extremes over the whole wait: an excursion between two readings is
still seen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from pycharge.modules.CbTarragonDriver.contactors import Contactors
from pycharge.modules.CbTarragonDriver.control_pilot import MEASUREMENT_S, ControlPilot
from pycharge.modules.CbTarragonDriver.cp_generator import CpGenerator
from pycharge.modules.CbTarragonDriver.cp_signal import A, C, CpVerdict, duty_is_nominal
from pycharge.modules.CbTarragonDriver.heartbeat import HeartbeatWatch
from pycharge.modules.CbTarragonDriver.power import PowerControl
from pycharge.modules.CbTarragonDriver.rcm import RcmInput

REPUBLISH_AFTER_SAMPLES = 2  # a state needs two samples after a CP change to be confirmed
CLOSED_SAMPLE_PERIOD_S = 0.008  # relays closed, nothing pending: see the module docstring
PWM_SAMPLE_PERIOD_S = 0.020  # relays open, PWM on


class Listener(Protocol):
    """What the loop reports; implementations queue it to the module thread."""

    def cp_verdict(self, verdict: CpVerdict, republish: bool) -> None: ...
    def power_event(self, event: str) -> None: ...
    def contactor_fault(self, message: str) -> None: ...
    def contactor_recovered(self) -> None: ...
    def rcm_changed(self, tripped: bool) -> None: ...


class Sampler:
    """One iteration is :meth:`step`; :meth:`run` loops until stopped."""

    def __init__(self, clock: Any, cp: ControlPilot, generator: CpGenerator,
                 cp_lock: threading.Lock, power: PowerControl, rcm: RcmInput | None,
                 heartbeat: HeartbeatWatch, listener: Listener, idle_period_s: float,
                 log: logging.Logger) -> None:
        self.clock = clock
        self.cp = cp
        self.generator = generator
        self.cp_lock = cp_lock
        self.power = power
        self.contactors: Contactors = power.contactors
        self.rcm = rcm
        self.heartbeat = heartbeat
        self.listener = listener
        self.idle_period_s = idle_period_s
        self.log = log
        self.pp_fault = False  # set by the module thread from the PP observation
        self._republish_in = 0
        self._silent: list[str] = []

    def request_republish(self) -> None:
        """Report the CP state again once it is confirmed (after enable(true), a reconnect)."""
        self._republish_in = REPUBLISH_AFTER_SAMPLES

    def run(self, stopping: threading.Event, feed_watchdog: Callable[[], None]) -> None:
        gap = 0.0
        while not stopping.is_set():
            feed_watchdog()
            self.step(gap)
            gap = self.idle_gap()

    def step(self, gap_s: float = 0.0) -> None:
        """One sample; ``gap_s`` longer than the detectors need to settle (see idle_gap)."""
        with self.cp_lock:
            self.cp.measure(gap_s)
            driven, duty = self.generator.driven, self.generator.duty_percent
        verdict = self.cp.observe(driven, duty)
        now = self.clock.monotonic()
        rcm_change = self.rcm.poll() if self.rcm is not None else None
        with self.contactors.lock:
            self.contactors.read_feedback(now)
        self.power.step(now, self.forbidden_by(now))
        with self.contactors.lock:
            if verdict is not None and verdict.state == A and self.contactors.fault:
                self.contactors.recheck(now)
            result = self.contactors.poll(now)
            recovered = (result.recheck_passed and self.contactors.fault is not None
                         and self.cp.verdict is not None and self.cp.verdict.state == A)
            if recovered:
                self.contactors.clear_fault()
        self._report(verdict, rcm_change, result.event, result.faults, recovered)

    def _report(self, verdict: CpVerdict | None, rcm_change: bool | None, event: str | None,
                faults: list[str], recovered: bool) -> None:
        if verdict is not None:
            self.listener.cp_verdict(verdict, False)
        elif self._republish_in > 0:
            if self.cp.settling:
                # A new state is on its way (e.g. the car plugged in just as the CP output came
                # on): republishing the old one would tell of a state already gone.
                self._republish_in = REPUBLISH_AFTER_SAMPLES
            else:
                self._republish_in -= 1
                if self._republish_in == 0 and self.cp.verdict is not None:
                    self.listener.cp_verdict(self.cp.verdict, True)
        if rcm_change is not None:
            self.listener.rcm_changed(rcm_change)
        for message in faults:
            self.listener.contactor_fault(message)
        if event is not None:
            self.listener.power_event(event)
        if recovered:
            self.listener.contactor_recovered()

    def forbidden_by(self, now: float) -> str | None:
        """Why power must be off at this sample, or None if the relays may be (or stay) closed."""
        verdict = self.cp.verdict
        silent = self.heartbeat.silent(now)
        if silent != self._silent:
            if silent:
                self.log.error("no heartbeat from %s for %.1f s", ", ".join(silent),
                               self.heartbeat.timeout_s)
            else:
                self.log.info("heartbeats are back")
            self._silent = silent
        # In order of precedence; a sentence is made only for the reason that applies (this
        # runs about 250 times a second while charging).
        if verdict is None:
            return "the control pilot has not been measured yet"
        return _cp_forbids(verdict) or self._others_forbid(silent)

    def _others_forbid(self, silent: list[str]) -> str | None:
        if self.rcm is not None and self.rcm.tripped:
            return "RCM tripped"
        if silent:
            return f"no heartbeat from {', '.join(silent)}"
        if self.contactors.fault is not None:
            return "contactor fault"
        return "proximity pilot fault" if self.pp_fault else None

    def idle_gap(self) -> float:
        """How much longer than a measurement the next sample may take: zero while a change
        is being confirmed or a switch is under way (module docstring)."""
        if (self.power.pending or self.contactors.busy or self._republish_in > 0
                or self.cp.settling):
            return 0.0
        if self.contactors.closed:
            period = CLOSED_SAMPLE_PERIOD_S
        elif self.generator.driven and duty_is_nominal(self.generator.duty_percent):
            period = PWM_SAMPLE_PERIOD_S
        else:
            period = self.idle_period_s
        return max(0.0, min(period, self.idle_period_s) - MEASUREMENT_S)

def _cp_forbids(verdict: CpVerdict) -> str | None:
    """Why the CP forbids power: a fault found on it, or a state other than C."""
    for active, why in ((verdict.short, "CP short circuit"), (verdict.diode, "diode fault"),
                        (verdict.out_of_range, "CP voltage out of range"),
                        (verdict.ventilation, "state D: ventilation not available")):
        if active:
            return why
    return None if verdict.state == C else f"CP state {verdict.state.value}"
