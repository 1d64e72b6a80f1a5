"""What happened on the simulated board, with simulated timestamps, for tests and benchmarks.

Reaction times are read from here ("car C->B at t1, relay 1 contact open at t2"), so they are
measured on the simulated clock and do not depend on how busy the machine is::

    t1 = board.log.first("car", "state", "B", since=t0).time
    t2 = board.log.wait_for("relay1", "contact", False, since=t1).time

What the board records (subject, change: value); the state at start is recorded at time 0:

- ``cp``, ``output``: ``"off"`` (CP_INVERT inactive) or the duty in % (0 = F, 100 = X1)
- ``pwm <device>/<channel>``, ``period`` / ``duty_cycle`` / ``enable``: every PWM change
- ``car``, ``state``: A, B, C, D, E
- ``relay1`` / ``relay2``, ``coil`` / ``contact``: True = energised / closed
- ``meter``, ``current_A``: (L1, L2, L3) drawn by the car
- ``rcm``, ``tripped``; ``DIGITAL_IN_<n>``, ``level``
- ``lock``, ``motor`` (forward/backward/brake/coast) / ``state`` (unlocked/moving/locked)
- ``fault``, ``<fault name>``: injected or removed
- ``<line>``, ``level``: any other output line that changed, and static inputs set by tests
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

ANY: Any = object()


@dataclass(frozen=True)
class Event:
    """``subject`` (e.g. ``relay1``) changed ``change`` (e.g. ``contact``) to ``value`` at ``time``."""

    time: float
    subject: str
    change: str
    value: Any


class EventLog:
    """A bounded, thread-safe list of events with a small query API."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self._events: deque[Event] = deque(maxlen=maxlen)
        self._changed = threading.Condition()

    def record(self, at: float, subject: str, change: str, value: Any) -> Event:
        event = Event(at, subject, change, value)
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()
        return event

    def events(self, subject: str | None = None, change: str | None = None, value: Any = ANY,
               since: float | None = None, until: float | None = None) -> list[Event]:
        """Events matching every given filter, oldest first (``since``/``until`` inclusive)."""
        with self._changed:
            snapshot = list(self._events)
        return [e for e in snapshot
                if (subject is None or e.subject == subject)
                and (change is None or e.change == change)
                and (value is ANY or e.value == value)
                and (since is None or e.time >= since)
                and (until is None or e.time <= until)]

    def first(self, subject: str | None = None, change: str | None = None, value: Any = ANY,
              since: float | None = None) -> Event | None:
        found = self.events(subject, change, value, since)
        return found[0] if found else None

    def last(self, subject: str | None = None, change: str | None = None, value: Any = ANY,
             since: float | None = None) -> Event | None:
        found = self.events(subject, change, value, since)
        return found[-1] if found else None

    def wait_for(self, subject: str | None = None, change: str | None = None, value: Any = ANY,
                 since: float | None = None, timeout: float = 10.0) -> Event:
        """Block until a matching event exists; ``timeout`` is in real seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self.first(subject, change, value, since)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no event {subject}.{change}"
                                       f"{'' if value is ANY else f'={value!r}'} within {timeout} s; "
                                       f"last events: {list(self._events)[-5:]}")
                self._changed.wait(remaining)

    def clear(self) -> None:
        with self._changed:
            self._events.clear()

    def __len__(self) -> int:
        return len(self._events)
