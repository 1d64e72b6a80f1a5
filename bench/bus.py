"""Bus throughput between two modules of one process, through a given broker.

``BenchCaller`` calls ``echo`` on ``BenchResponder`` one call after the other (each waits for
its answer: round trips per second), then ``BenchResponder`` publishes its ``sample`` variable
with at most IN_FLIGHT undelivered, and ``BenchCaller`` counts them (publications per second,
from the first publish to the last delivery). Both are ordinary runtime modules
(bench/modules), QoS 1 like every internal message, validated against their interface on receipt.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.brokers import running_broker
from bench.inprocess import running
from pycharge.runtime.module import Module

BENCH_MODULES = Path(__file__).parent / "modules"
CONFIG = {"active_modules": {
    "responder": {"module": "BenchResponder"},
    "caller": {"module": "BenchCaller", "connections": {
        "responder": [{"module_id": "responder", "implementation_id": "main"}]}},
}}
DELIVERY_TIMEOUT_S = 60.0
IN_FLIGHT = 100  # samples published but not yet delivered, at most (like paho's max_inflight)


def _on_module_thread(module: Module, work: Callable[..., None], *args: Any,
                      timeout: float) -> tuple[Any, ...]:
    """Run ``work(*args, done)`` on the module's thread; return what it passed to ``done``."""
    finished = threading.Event()
    result: list[Any] = []

    def done(*values: Any) -> None:
        result.extend(values)
        finished.set()

    module.submit(work, *args, done)
    if not finished.wait(timeout):
        raise TimeoutError(f"{module.id} did not finish its part within {timeout:.0f} s")
    return tuple(result)


def measure(broker_kind: str, seconds: float) -> dict[str, Any]:
    """Round trips and publications per second between two modules via ``broker_kind``."""
    with tempfile.TemporaryDirectory(prefix="pycharge-bench-") as tmp:
        path = Path(tmp) / "bus.yaml"
        path.write_text(yaml.safe_dump(CONFIG))
        with running_broker(broker_kind) as address, \
                running(path, address, [BENCH_MODULES]) as stack:
            caller, responder = stack.module("caller"), stack.module("responder")
            calls, elapsed = _on_module_thread(caller, caller.round_trips_for, seconds,
                                               timeout=seconds + DELIVERY_TIMEOUT_S)
            caller.credits = threading.Semaphore(IN_FLIGHT)
            published, started = _on_module_thread(responder, responder.publish_for, seconds,
                                                   caller.credits,
                                                   timeout=seconds + DELIVERY_TIMEOUT_S)
            caller.submit(caller.expect, published)
            complete = caller.all_received.wait(DELIVERY_TIMEOUT_S)
            received = caller.received
            span = caller.last_received - started
    return {"broker": broker_kind, "round_trips_per_s": round(calls / elapsed),
            "calls": calls, "publications_per_s": round(received / span) if span > 0 else 0,
            "published": published, "delivered": received, "all_delivered": complete}
