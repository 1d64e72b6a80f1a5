"""The calling end of the bus benchmark (bench/bus.py): command round trips, sample counting.

The benchmark hands work to this module with ``submit`` so that calls and callbacks run on the
module's own thread, as in any module.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pycharge.runtime.module import Module


class BenchCaller(Module):
    def init(self) -> None:
        self.received = 0
        self.last_received = 0.0
        self.expected: int | None = None
        self.all_received = threading.Event()
        self.credits: threading.Semaphore | None = None  # given back per sample (flow control)
        self.connection("responder").subscribe("sample", self._on_sample)

    def _on_sample(self, _value: int) -> None:
        self.received += 1
        self.last_received = time.perf_counter()
        if self.credits is not None:
            self.credits.release()
        self._check()

    def expect(self, count: int) -> None:
        """The responder published ``count`` samples: set ``all_received`` once all are here."""
        self.expected = count
        self._check()

    def _check(self) -> None:
        if self.expected is not None and self.received >= self.expected:
            self.all_received.set()

    def round_trips_for(self, seconds: float, done: Callable[[int, float], None]) -> None:
        """Call ``echo`` one after the other for ``seconds``; ``done(calls, elapsed)``."""
        responder = self.connection("responder")
        started = time.perf_counter()
        calls = 0
        while time.perf_counter() - started < seconds:
            calls += 1
            if responder.call("echo", value=calls) != calls:
                raise RuntimeError(f"echo {calls} came back wrong")
        done(calls, time.perf_counter() - started)
