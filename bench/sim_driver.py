"""Acting on the simulated board like a car and an installation, timing the stack's reactions.

Every time here is the simulated board's own clock, read from its event log (see
``pycharge.simulation.events``): when the car changed state, when the RCM tripped, when relay
coil and contact moved, when the CP output changed. Real time only bounds how long we wait.

The car follows IEC 61851 like a regulated car: it goes to C only while the CP carries PWM (and
CAR_REACTION_S after it saw the PWM start), and back to B when the PWM goes away.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
POLL_S = 0.001
RESIDUAL_TRIP_MA = 30.0  # well above the RCM's 6 mA DC threshold
CAR_REACTION_S = 0.1     # a car closes S2 (B -> C) this long after it sees PWM: two idle
                         # CP sample periods of the driver (a real car takes longer)


def is_pwm(output: Any) -> bool:
    """The CP output carries PWM: a duty strictly between state F (0 %) and X1 (100 %)."""
    return isinstance(output, float) and 0.0 < output < 100.0


@dataclass(frozen=True)
class Switching:
    """When the relays' coils and (modelled) contacts followed, in ms after the cause."""

    coil_ms: float
    contact_ms: float

    @classmethod
    def never(cls) -> Switching:
        return cls(math.inf, math.inf)


class SimulatedSite:
    """The car and the installation at one simulated board (``pycharge.simulation.Board``)."""

    def __init__(self, board: Any, timeout_s: float) -> None:
        self.board = board
        self.log = board.log
        self.timeout_s = timeout_s

    # -- causes (each returns its simulated time) --------------------------------------------------
    def car(self, state: str) -> float:
        self.board.set_car_state(state)
        return self._last("car", "state", state)

    def residual_current(self, tripped: bool) -> float:
        """Residual current above the RCM threshold, or none; the time the RCM output changed."""
        self.board.set_residual_current(RESIDUAL_TRIP_MA if tripped else 0.0)
        return self._last("rcm", "tripped", tripped)

    def fault(self, name: str, active: bool) -> float:
        self.board.set_fault(name, active)
        return self._last("fault", name, active)

    def car_charges(self, pwm_since: float) -> float:
        """State C, ``CAR_REACTION_S`` (simulated) after the PWM started at ``pwm_since``."""
        poll(lambda: self.board.advance() >= pwm_since + CAR_REACTION_S, self.timeout_s)
        return self.car("C")

    def _last(self, subject: str, change: str, value: Any) -> float:
        event = self.log.last(subject, change, value)
        if event is None:
            raise RuntimeError(f"the board did not log {subject} {change} = {value!r}")
        return event.time

    # -- reactions -----------------------------------------------------------------------------------
    def closed_relays(self) -> list[str]:
        """Relays whose coil is energised now (``relay1``, ``relay2``)."""
        relays = self.board.snapshot()["relays"]
        return [f"relay{number}" for number, relay in relays.items() if relay["coil"]]

    def switching(self, relays: list[str], closed: bool, since: float,
                  timeout_s: float | None = None) -> Switching:
        """Wait until every relay in ``relays`` has coil and contact ``closed``; the slowest."""
        if not relays:
            raise ValueError("no relay to wait for")
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            coil = max(self.log.wait_for(r, "coil", closed, since, timeout_s).time
                       for r in relays)
            contact = max(self.log.wait_for(r, "contact", closed, since, timeout_s).time
                          for r in relays)
        except TimeoutError:
            return Switching.never()
        return Switching((coil - since) * 1000.0, (contact - since) * 1000.0)

    def pwm_on(self, since: float, timeout_s: float | None = None) -> float | None:
        """When the CP started carrying PWM (at or after ``since``, or still since before)."""
        def find() -> float | None:
            outputs = self.log.events("cp", "output")
            if not outputs and is_pwm(self.board.cp_output()):
                return since  # on since before the log was last cleared
            if outputs and is_pwm(outputs[-1].value) and outputs[-1].time <= since:
                return outputs[-1].time
            return next((e.time for e in outputs if e.time >= since and is_pwm(e.value)), None)

        return poll(find, self.timeout_s if timeout_s is None else timeout_s)

    def pwm_off(self, timeout_s: float) -> float | None:
        """When the CP stopped carrying PWM (state F, X1 or not driven); None if it did not."""
        def find() -> float | None:
            if is_pwm(self.board.cp_output()):
                return None
            last = self.log.last("cp", "output")
            return last.time if last is not None else self.board.advance()

        return poll(find, timeout_s)


def poll(find: Callable[[], T | None], timeout_s: float) -> T | None:
    """``find()``'s first truthy result, or None after ``timeout_s`` real seconds.

    Polls for what the event log cannot wait on by value (any PWM duty); the log is cleared
    every session, so each look is short.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        found = find()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(POLL_S)
