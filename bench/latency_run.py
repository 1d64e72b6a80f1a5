"""Reaction latency of a configuration on the simulated board, split over worker processes.

Each worker (``python -m bench.latency_run --worker ...``) starts its own broker and runs the
configuration in its own process on its own simulated board, with the simulated car module
switched off (the worker plays the car), and prints its raw samples as JSON. The figures are on
each board's simulated clock, so workers running side by side do not distort the relay
reactions, which the board driver makes within its own sample loop; figures that pass through
the bus and the EvseManager (plug-in -> PWM, C -> relays closed) count the machine's real
processing time and grow when it is loaded.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import configs
from bench.brokers import running_broker
from bench.inprocess import InProcessStack, running
from bench.latency import LABELS, SessionEnds, Sessions, close_interval, empty_series
from bench.sim_driver import SimulatedSite
from bench.stats import Summary

REAL_TIMEOUT_S = 5.0
CHECKOUT = Path(__file__).resolve().parents[1]


def switch_off_car(stack: InProcessStack) -> None:
    """Disable the simulated car module (as its ``cmd/enable false`` would): we are the car."""
    for car_id in stack.module_ids("CarSimulator"):
        host = stack.manager.host(car_id)
        if not host.ready_called.wait(REAL_TIMEOUT_S) or host.module is None:
            raise RuntimeError(f"{car_id} did not become ready")
        car, done = host.module, threading.Event()

        def switch_off(car: Any = car, done: threading.Event = done) -> None:
            car.set_enabled(False)
            done.set()

        car.submit(switch_off)
        if not done.wait(REAL_TIMEOUT_S):
            raise RuntimeError(f"{car_id} did not switch off")


def worker(config: Path, broker_kind: str, events: int, budget_s: float,
           measure_interval: bool) -> dict[str, Any]:
    """One stack, its sessions, optionally the close interval afterwards; raw samples."""
    with tempfile.TemporaryDirectory(prefix="pycharge-bench-") as tmp:
        path = configs.prepare(config, Path(tmp), rcm=True)
        with running_broker(broker_kind) as address, \
                running(path, address, simulate=True) as stack:
            switch_off_car(stack)
            evse_ids = stack.module_ids("EvseManager")
            if not evse_ids:
                raise RuntimeError(f"{config} has no EvseManager to charge with")
            site = SimulatedSite(stack.simulation.board, REAL_TIMEOUT_S)
            sessions = Sessions(site, SessionEnds(stack, evse_ids[0]), events)
            started = time.monotonic()
            with close_interval(0.0) as shipped:
                sessions.run(budget_s)
            interval = None
            if measure_interval:
                try:
                    interval = sessions.close_interval(shipped)
                except (RuntimeError, TimeoutError) as exc:  # reported, not a hard limit
                    interval = {"shipped_s": shipped, "error": str(exc)}
    return {"series": sessions.series, "notes": sessions.notes, "sessions": sessions.sessions,
            "wall_s": time.monotonic() - started, "close_interval": interval}


def run(config: Path, broker_kind: str, events: int, workers: int,
        measure_interval: bool, budget_s: float) -> dict[str, Any]:
    """``events`` of each kind over ``workers`` processes; merged summaries."""
    share = math.ceil(events / workers)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")])))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pycharge-bench-") as tmp:
        logs = [Path(tmp) / f"worker{index}.log" for index in range(workers)]
        processes = []
        for index, log in enumerate(logs):
            with log.open("w") as stderr:  # a file, not a pipe: nothing blocks on a full pipe
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "bench.latency_run", "--worker", str(config),
                     "--broker", broker_kind, "--events", str(share), "--budget", str(budget_s),
                     *(["--close-interval"] if measure_interval and index == 0 else [])],
                    stdout=subprocess.PIPE, stderr=stderr, text=True, env=env))
        results = []
        for process, log in zip(processes, logs, strict=True):
            out, _ = process.communicate(timeout=budget_s + 120)
            if process.returncode != 0:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
                raise RuntimeError(f"latency worker exited with {process.returncode}:\n{tail}")
            results.append(json.loads(out))
    return merge(results, time.monotonic() - started)


def merge(results: list[dict[str, Any]], wall_s: float) -> dict[str, Any]:
    series = empty_series()
    notes: dict[str, int] = {}
    for result in results:
        for key, parts in result["series"].items():
            for part, values in parts.items():
                series[key][part].extend(values)
        for note in result["notes"]:
            notes[note] = notes.get(note, 0) + 1
    figures = {key: summarise(LABELS[key], parts) for key, parts in series.items()}
    interval = next((r["close_interval"] for r in results if r["close_interval"]), None)
    return {"workers": len(results), "sessions": sum(r["sessions"] for r in results),
            "wall_s": round(wall_s, 1), "figures": figures, "incidents": notes,
            "close_interval": interval}


def summarise(label: str, parts: dict[str, list[float]]) -> dict[str, Any]:
    """Summaries over the reactions that happened; ``missed`` counts those that never did."""
    figure: dict[str, Any] = {"label": label, "missed": 0}
    for part, values in parts.items():
        happened = [v for v in values if math.isfinite(v)]
        figure["missed"] = max(figure["missed"], len(values) - len(happened))
        figure[part] = Summary.of(happened).as_dict() if happened else None
    return figure


def main() -> int:
    parser = argparse.ArgumentParser(description="one latency worker (see bench/run)")
    parser.add_argument("--worker", type=Path, required=True, metavar="CONFIG")
    parser.add_argument("--broker", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--budget", type=float, required=True)
    parser.add_argument("--close-interval", action="store_true")
    args = parser.parse_args()
    result = worker(args.worker, args.broker, args.events, args.budget, args.close_interval)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
