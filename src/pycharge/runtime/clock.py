"""Time as the stack sees it: the real clock on a charger, a simulated one on a laptop.

In simulation the board's CP sampling loop is the heartbeat of simulated time: its ``tick``
calls (the peak-detector hold and settle times) are what advance the clock. Reaction times
measured on that clock count the driver's own work in sample periods, so a slow or busy machine
stretches wall-clock time but not the measured reaction. When nothing ticks for a while (no
driver running, or a stall longer than ``freewheel_after``), simulated time follows real time.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """What modules and the HAL use for every timing decision."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (limits' ``valid_for``, timers, timeouts)."""

    def tick(self, seconds: float) -> None:
        """Let ``seconds`` of hardware time pass; only the CP sampling loop calls this."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        """Wait for ``event`` or until ``timeout`` seconds passed on this clock."""


def utc_now() -> datetime:
    """Wall-clock time for timestamps people read; never used for intervals."""
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime | None = None) -> str:
    """EVerest's timestamp format: UTC with milliseconds and a Z."""
    moment = moment or utc_now()
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                      r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$")


def parse_rfc3339(text: str) -> datetime:
    """The moment ``text`` names, in UTC; ValueError if it is not RFC 3339.

    Written out because Python 3.10's ``datetime.fromisoformat`` rejects ``Z`` and fractions
    that are not 3 or 6 digits long, both common in requests from OCPP backends.
    """
    match = _RFC3339.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = round(float(match[7]) * 1_000_000) if match[7] else 0
    moment = datetime(year, month, day, hour, minute, min(second, 59), min(micro, 999_999),
                      tzinfo=timezone.utc)
    if match[9]:
        offset = timedelta(hours=int(match[10]), minutes=int(match[11]))
        moment -= offset if match[9] == "+" else -offset
    return moment


class RealClock:
    """The operating system's monotonic clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def tick(self, seconds: float) -> None:
        time.sleep(seconds)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        return event.wait(timeout)


class SimClock:
    """Simulated time, advanced by the sampling loop's ticks (see the module docstring)."""

    def __init__(self, freewheel_after: float = 0.5) -> None:
        self._lock = threading.Lock()
        self._now = 0.0
        self._last_tick_real = time.monotonic()
        self._freewheel_after = freewheel_after

    def monotonic(self) -> float:
        with self._lock:
            return self._current()

    def _current(self) -> float:
        idle = time.monotonic() - self._last_tick_real
        if idle > self._freewheel_after:
            return self._now + idle
        return self._now

    def tick(self, seconds: float) -> None:
        time.sleep(seconds)
        with self._lock:
            self._now = self._current() + seconds
            self._last_tick_real = time.monotonic()

    def sleep(self, seconds: float) -> None:
        self.wait(threading.Event(), seconds)

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        if timeout is None:
            event.wait()
            return True
        deadline = self.monotonic() + timeout
        while True:
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                return event.is_set()
            # Simulated time runs at most as fast as real time, so waiting the remainder in
            # real time never oversleeps; a lagging simulated clock just means another round.
            if event.wait(remaining):
                return True
