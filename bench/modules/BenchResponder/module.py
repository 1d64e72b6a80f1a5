"""The answering end of the bus benchmark (bench/bus.py): echoes commands, publishes samples."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import ClassVar

from pycharge.runtime.module import Implementation, Module

CREDIT_TIMEOUT_S = 10.0


class Main(Implementation):
    def echo(self, value: int) -> int:
        return value


class BenchResponder(Module):
    implementations: ClassVar[dict[str, type[Implementation]]] = {"main": Main}

    def publish_for(self, seconds: float, credits: threading.Semaphore,
                    done: Callable[[int, float], None]) -> None:
        """Publish ``sample`` for ``seconds``, each taking a credit the receiver gives back.

        The credits keep a bounded number of samples in flight, so the rate measured is what
        the bus delivers, not how fast paho can queue. Reports ``done(count, start)``.
        """
        started = time.perf_counter()
        count = 0
        while time.perf_counter() - started < seconds:
            if not credits.acquire(timeout=CREDIT_TIMEOUT_S):
                raise RuntimeError(f"no sample delivered for {CREDIT_TIMEOUT_S:.0f} s")
            count += 1
            self.impl["main"].publish("sample", count)
        done(count, started)
