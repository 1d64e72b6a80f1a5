"""The board bench, inside the emulated board: calibration, start-up, idle and charging.

Runs in the QEMU guest that ``bench/board.py`` boots with instruction counting, so its clock is
the emulated board's. Prints one ``BOARD: {json}`` line per figure group on the console, where
the host picks them up; everything it reads is /proc. Usage (in the guest):

    python3 board_guest.py CONFIG --broker 127.0.0.1:1883 [--settle S] [--idle S] [--charging S]
        [--ocpp PTEST_DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import calibration, configs
from bench.footprint import start_charging, window
from bench.process_stack import StackProcess
from bench.procfs import thread_activity
from pycharge.runtime.mqtt import BrokerAddress


def emit(group: str, figures: dict[str, Any]) -> None:
    print("BOARD: " + json.dumps({"group": group, **figures}), flush=True)


def steady(pid: int, seconds: float) -> dict[str, Any]:
    """CPU and memory over the window, and each thread's wakeups per second and CPU %."""
    before, started = thread_activity(pid), time.monotonic()
    figures = window(pid, seconds)
    after, elapsed = thread_activity(pid), time.monotonic() - started
    tick = os.sysconf("SC_CLK_TCK")
    figures["wakeups_per_s"], figures["cpu_percent_by_thread"] = {}, {}
    for name, (switches, ticks) in sorted(after.items()):
        switches_before, ticks_before = before.get(name, (0, 0))
        figures["wakeups_per_s"][name] = round((switches - switches_before) / elapsed, 1)
        figures["cpu_percent_by_thread"][name] = round(
            100.0 * (ticks - ticks_before) / tick / elapsed, 2)
    return figures


@contextlib.contextmanager
def csms_on_loopback(ptest_dir: Path | None) -> Iterator[str | None]:
    """The tests' CSMS (tests/modules/ocpp/csms.py) on a free port; None without ``ptest_dir``.
    It runs in this process, apart from the measured stack."""
    if ptest_dir is None:
        yield None
        return
    sys.path.append(str(ptest_dir))
    from tests.conftest import free_port
    from tests.modules.ocpp.csms import Csms

    csms = Csms(free_port(), heartbeat_interval=300)  # a common CSMS setting
    csms.start()
    try:
        yield csms.url
    finally:
        csms.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="board_guest.py", description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--broker", default="127.0.0.1:1883")
    parser.add_argument("--settle", type=float, default=30.0)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--charging", type=float, default=60.0)
    parser.add_argument("--ocpp", type=Path, metavar="PTEST_DIR",
                        help="measure bsp-only-ocpp.yaml connected to a CSMS on loopback (the "
                             "tests' one, from PTEST_DIR) instead of CONFIG: start-up and idle")
    args = parser.parse_args(argv)
    host, _, port = args.broker.rpartition(":")
    broker = BrokerAddress(host, int(port))
    emit("calibration", min((calibration.measure() for _ in range(3)),
                            key=lambda r: r["us_per_round"]))
    with tempfile.TemporaryDirectory(prefix="pycharge-board-") as tmp, \
            csms_on_loopback(args.ocpp) as url:
        prepared = configs.prepare(args.config, Path(tmp)) if url is None else \
            configs.with_csms(configs.SHIPPED_OCPP, url, Path(tmp))
        stack = StackProcess(prepared, broker, False, Path(tmp))
        try:
            stack.start()
            emit("startup", {"ready_s": round(stack.wait_ready(120.0), 2),
                             "first_cp_s": round(stack.wait_first_cp(120.0), 2)})
            time.sleep(args.settle)
            emit("idle", steady(stack.pid, args.idle))
            if url is not None:  # charging needs a token at the CSMS: idle is the figure
                stack.stop(60.0)
                return 0
            emit("charging_start", {"relays_closed_after_s": round(
                start_charging(prepared, broker), 2)})
            time.sleep(min(args.settle, 10.0))
            emit("charging", steady(stack.pid, args.charging))
            stop_s, status = stack.stop(60.0)
            emit("stop", {"stop_s": round(stop_s, 2), "exit_status": status})
        finally:
            stack.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
