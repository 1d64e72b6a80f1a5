"""Start-up, stop, footprint and CPU of ``pycharge run --sim CONFIG``, as a user runs it.

The broker is one of our own (mosquitto where installed), outside the stack's processes, as on
the board; so the figures are the stack's alone ("broker apart", like the peers' figures in
the anchors). The first run of each mode also measures the steady state: idle with no car
after a settling pause, then while the simulated car charges.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import configs
from bench.brokers import running_broker
from bench.footprint import start_charging, window
from bench.process_stack import StackProcess


def measure(config: Path, broker_kind: str, per_module: bool, runs: int, settle_s: float,
            idle_s: float, charging_s: float) -> dict[str, Any]:
    """``runs`` start/stop cycles of one mode; the steady-state windows in the first."""
    result: dict[str, Any] = {"mode": "process per module" if per_module else "single process",
                              "runs": []}
    with tempfile.TemporaryDirectory(prefix="pycharge-bench-") as tmp, \
            running_broker(broker_kind) as broker:
        prepared = configs.prepare(config, Path(tmp))
        for run in range(runs):
            stack = StackProcess(prepared, broker, per_module, Path(tmp))
            try:
                stack.start()
                timing = {"ready_s": stack.wait_ready(), "first_cp_s": stack.wait_first_cp()}
                if run == 0:
                    time.sleep(settle_s)
                    result["idle"] = window(stack.pid, idle_s)
                    result["charging_started_s"] = round(start_charging(prepared, broker), 2)
                    time.sleep(settle_s)
                    result["charging"] = window(stack.pid, charging_s)
                timing["stop_s"], timing["exit_status"] = stack.stop()
            finally:
                stack.kill()
            result["runs"].append({k: round(v, 3) for k, v in timing.items()})
    return result
