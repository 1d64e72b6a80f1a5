"""A clock for tests: time moves only when the test (or a tick, sleep or wait) moves it."""

from __future__ import annotations

import threading


class ManualClock:
    """Implements ``runtime.clock.Clock``; waits return at once, having moved time on."""

    def __init__(self, start: float = 100.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    @property
    def now(self) -> float:
        return self.monotonic()

    @now.setter
    def now(self, value: float) -> None:
        with self._lock:
            self._now = value

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def tick(self, seconds: float) -> None:
        self.advance(seconds)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        if not event.is_set() and timeout:
            self.advance(timeout)
        return event.is_set()
