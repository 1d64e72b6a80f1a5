"""UK smart charging random delays (``random_delay``, interface ``uk_random_delay``).

The UK's smart charge point regulations want a change of the charging current to take effect
only after a random delay, so that many chargers do not switch at the same moment. As in
EVerest, the delay works on the energy manager's limits as they arrive (every second, so no
timer of its own): while a delay runs, the limit from before the change is kept, and the
countdown is published with each limit. A delay ends when its time is up, when it is cancelled,
or when no session is under way. Delays last 1 s to ``max_duration_s`` (EVerest: 0 s to one less).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from pycharge.runtime.clock import rfc3339

# Charger states in which a delay may run (EVerest's list).
DELAY_STATES = frozenset({"WaitingForAuthentication", "PrepareCharging", "Charging"})
SMALLEST_CHANGE_A = 0.1  # smaller changes of the limit start no delay


class RandomDelay:
    """The feature's switches and the running delay, on the module thread."""

    def __init__(self, now: Callable[[], float], publish: Callable[[dict[str, Any]], None],
                 enabled: bool, max_duration_s: int, at_any_change: bool, log: logging.Logger,
                 rng: random.Random | None = None) -> None:
        self._now, self._publish, self._log = now, publish, log
        self._rng = rng or random.Random()
        self.enabled = enabled
        self.max_duration_s = max_duration_s
        self.at_any_change = at_any_change
        self._end: float | None = None  # monotonic end of the running delay
        self._start_time = ""
        self._held = 0.0  # the limit kept while the delay runs
        self._last = 0.0  # the limit asked for last time (EVerest's last_enforced_limit)

    @property
    def running(self) -> bool:
        return self._end is not None

    # -- the uk_random_delay commands ----------------------------------------------------------
    def enable(self) -> None:
        self.enabled = True
        self._stop()

    def disable(self) -> None:
        self.enabled = False
        self._stop()

    def cancel(self) -> None:
        """The next limit applies as if the time were up."""
        self._stop()

    def set_duration_s(self, seconds: int) -> None:
        self.max_duration_s = seconds

    def _stop(self) -> None:
        """End a running delay and say so (EVerest keeps the last countdown on display)."""
        if self._end is not None:
            self._end = None
            self._publish(self._countdown(self._last))

    # -- the energy manager's limits ----------------------------------------------------------
    def apply(self, limit: float, charger_state: str) -> float:
        """The limit to use now for the ``limit`` the energy manager enforces."""
        requested = limit
        if self.enabled:
            limit = self._delayed(requested, charger_state)
        self._last = requested
        return limit

    def _delayed(self, requested: float, charger_state: str) -> float:
        if charger_state not in DELAY_STATES:
            self._end = None  # (EVerest may start one here, to end it a second later)
        elif self._end is None and self._needed(requested) and self.max_duration_s > 0:
            seconds = self._rng.randint(1, self.max_duration_s)
            self._log.info("UK smart charging regulations: random delay of %d s", seconds)
            self._end = self._now() + seconds
            self._start_time = rfc3339()
            self._held = self._last
        countdown = self._countdown(requested)
        limit = requested
        if self._end is not None:
            left = int(self._end - self._now())
            if left <= 0:
                self._log.info("UK smart charging regulations: random delay over")
                self._end = None
            else:
                limit = self._held
                countdown.update(countdown_s=left, start_time=self._start_time)
        self._publish(countdown)
        return limit

    def _needed(self, limit: float) -> bool:
        if self.at_any_change:
            return abs(limit - self._last) >= SMALLEST_CHANGE_A
        from_zero = self._last < SMALLEST_CHANGE_A <= limit
        to_zero = self._last >= SMALLEST_CHANGE_A > limit
        return from_zero or to_zero

    def _countdown(self, requested: float) -> dict[str, Any]:
        return {"countdown_s": 0, "current_limit_after_delay_A": requested,
                "current_limit_during_delay_A": self._held}
