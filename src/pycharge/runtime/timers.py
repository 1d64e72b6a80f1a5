"""A module's timers: one heap, run by the module's own thread, so callbacks never overlap
with its handlers and need no locks."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from itertools import count

_sequence = count()


class Timer:
    """A scheduled callback; :meth:`cancel` stops it from running (again)."""

    __slots__ = ("args", "callback", "cancelled", "deadline", "period", "seq")

    def __init__(self, deadline: float, period: float | None, callback: Callable[..., None],
                 args: tuple) -> None:
        self.deadline = deadline
        self.period = period
        self.callback = callback
        self.args = args
        self.cancelled = False
        self.seq = next(_sequence)  # equal deadlines run in the order they were scheduled
        if period is not None and period <= 0:
            raise ValueError(f"a timer period must be positive, not {period}")

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: Timer) -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)


class TimerQueue:
    """The pending timers of one module; only its own thread touches it."""

    def __init__(self) -> None:
        self._heap: list[Timer] = []

    def push(self, timer: Timer) -> None:
        heapq.heappush(self._heap, timer)

    def wait_time(self, now: float, longest: float) -> float | None:
        """How long the thread may wait for a message before the next timer is due; None when
        no timer is pending (a new one arrives as a message, so the thread may sleep until then)."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        if not self._heap:
            return None
        return max(0.0, min(longest, self._heap[0].deadline - now))

    def pop_due(self, now: float) -> Timer | None:
        """The next timer due at ``now`` (a periodic one is re-armed), or None."""
        while self._heap and self._heap[0].deadline <= now:
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            if timer.period is not None:
                # after a late wake-up: run once, skip the periods missed, keep the phase
                missed = math.floor((now - timer.deadline) / timer.period)
                timer.deadline += (missed + 1) * timer.period
                heapq.heappush(self._heap, timer)
            return timer
        return None
