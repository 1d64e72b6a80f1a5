"""The driver's sampling loop: measure the CP, then act on it in the same iteration.

Each iteration measures both peak detectors, debounces, reads the RCM input and the relay
feedback, and lets :class:`PowerControl` open the relays at once if anything forbids power, or
close them when an accepted ``allow_power_on`` is due. No bus message is waited for: the relays
open within one sample period of the confirmed change. What the module has to publish is handed
to the listener, which queues it for the module's own thread.

While the relays are open, no close is pending and the CP carries no PWM, nothing here needs a
fast reaction: the loop then waits ``cp_idle_sample_period_ms`` between measurements to save CPU.
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
        while not stopping.is_set():
            feed_watchdog()
            self.step()
            gap = self.idle_gap()
            if gap > 0:
                self.clock.tick(gap)

    def step(self) -> None:
        with self.cp_lock:
            self.cp.measure()
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
        reasons = (
            (verdict is None, "the control pilot has not been measured yet"),
            (verdict is not None and verdict.short, "CP short circuit"),
            (verdict is not None and verdict.diode, "diode fault"),
            (verdict is not None and verdict.out_of_range, "CP voltage out of range"),
            (verdict is not None and verdict.ventilation, "state D: ventilation not available"),
            (verdict is not None and verdict.state != C,
             f"CP state {verdict.state.value if verdict else '?'}"),
            (self.rcm is not None and self.rcm.tripped, "RCM tripped"),
            (bool(silent), f"no heartbeat from {', '.join(silent)}"),
            (self.contactors.fault is not None, "contactor fault"),
            (self.pp_fault, "proximity pilot fault"),
        )
        return next((why for active, why in reasons if active), None)

    def idle_gap(self) -> float:
        """Extra wait after this measurement: zero whenever a fast reaction may be needed."""
        if self.idle_period_s <= MEASUREMENT_S:
            return 0.0
        busy = (self.contactors.closed or self.power.pending or self.contactors.busy
                or (self.generator.driven and duty_is_nominal(self.generator.duty_percent))
                or self._republish_in > 0 or self.cp.settling)
        return 0.0 if busy else self.idle_period_s - MEASUREMENT_S
