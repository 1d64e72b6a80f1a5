"""The board bench's host side: reading the guest's console, its ceilings, its report; and the
calibration workload and per-thread wakeups it relies on. (Booting the emulated board itself is
``bench/run --only board``, which CI runs beside the ptests.)"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from bench.board import BoardConsole
from bench.limits import Limits, check
from bench.procfs import thread_activity
from bench.report import markdown

from bench import calibration
from tests.bench.test_limits import failures, results


def board_results(idle: float = 2.5, charging: float = 9.0, ready: float = 2.8) -> dict[str, Any]:
    def state(cpu: float) -> dict[str, Any]:
        return {"processes": 1, "threads": 11, "fds": 9, "pss_kib": 16384, "rss_kib": 20480,
                "peak_rss_kib": 20480, "peak_pss_kib": 16384, "seconds": 60.0,
                "cpu_percent": cpu, "wakeups_per_s": {"mqtt": 20.0, "tarragon_bsp.cp": 20.0,
                                                      "api": 8.0, "connector": 6.0, "x": 1.0}}

    return {"icount_shift": 1, "slowdown": 22.0, "host_calibration": {"us_per_round": 4.5},
            "calibration": {"us_per_round": 99.0}, "startup": {"ready_s": ready,
                                                                "first_cp_s": ready + 0.2},
            "charging_start": {"relays_closed_after_s": 1.8},
            "idle": state(idle), "charging": state(charging)}


def test_the_console_yields_each_figure_group_and_notices_the_end() -> None:
    console = BoardConsole()
    for line in ["[    1.0] booting", 'BOARD: {"group": "startup", "ready_s": 2.5}\r',
                 "BOARD: {not json", "PYCHARGE-QEMU-END: board bench exit status 0"]:
        console.feed(line)
    assert console.groups == {"startup": {"ready_s": 2.5}}
    assert console.ended
    assert len(console.errors) == 1 and "unreadable board line" in console.errors[0]


def test_the_board_ceilings_are_twice_the_goals() -> None:
    within = {**results(), "board": board_results(idle=5.9, charging=19.9, ready=5.9)}
    assert failures(check(within, Limits())) == []
    over = {**results(), "board": board_results(idle=6.1, charging=20.1, ready=6.1)}
    assert [text.split(" (")[0] for text in failures(check(over, Limits()))] == [
        "emulated board: 6.1 idle CPU % of the core",
        "emulated board: 20.1 CPU % of the core while charging at 16 A",
        "emulated board: 6.1 s from exec to every module ready"]


def test_the_report_shows_the_board_with_its_busiest_threads() -> None:
    data = {**results(), "board": board_results()}
    text = markdown(data, check(data, Limits()))
    assert "icount shift 1: guest clock" in text
    assert "99.0 µs per round in the guest, 4.50 on this host (22.0x slower)" in text
    assert "| idle, no car (60 s) | 2.5 | 11 | 16.0 | 20.0 | mqtt 20, tarragon_bsp.cp 20, " \
           "api 8, connector 6 |" in text


def test_the_report_shows_what_ocpp_adds_on_the_emulated_board() -> None:
    board = board_results(idle=2.5)
    ocpp = {"startup": {"ready_s": 3.1}, "idle": {**board["idle"], "cpu_percent": 2.9,
                                                   "threads": 12, "pss_kib": 16384 + 3072}}
    data = {**results(), "board": board, "board-ocpp": ocpp}
    text = markdown(data, check(data, Limits()))
    assert "| bsp-only-ocpp.yaml (60 s) | 2.90 | 12 | 19.0 | 20.0 |" in text
    assert "| added by OCPP over bsp-only.yaml | +0.40 | +1 | +3.0 | +0.0 |" in text


def test_the_calibration_workload_does_the_same_work_every_time() -> None:
    first, second = calibration.measure(500), calibration.measure(500)
    assert first["checksum"] == second["checksum"] > 0
    assert first["rounds"] == 500 and first["us_per_round"] > 0


def test_wakeups_are_counted_per_named_thread_of_this_process() -> None:
    """A thread named like a module that sleeps ten times shows ten more voluntary switches."""
    from pycharge.runtime.threadname import name_native_thread

    started, done, go = threading.Event(), threading.Event(), threading.Event()

    def sleeper() -> None:
        name_native_thread()
        started.set()
        go.wait()
        for _ in range(10):
            threading.Event().wait(0.001)
        done.set()
        threading.Event().wait(5)

    thread = threading.Thread(target=sleeper, name="bench-sleeper", daemon=True)
    thread.start()
    started.wait(5)
    before = thread_activity(os.getpid())["bench-sleeper"][0]
    go.set()
    done.wait(5)
    after = thread_activity(os.getpid())["bench-sleeper"][0]
    assert 10 <= after - before <= 20


def test_the_guest_prints_json_lines_the_console_reads(capsys) -> None:
    from bench.board_guest import emit

    emit("stop", {"stop_s": 0.2, "exit_status": 0})
    console = BoardConsole()
    console.feed(capsys.readouterr().out)
    assert console.groups == {"stop": json.loads('{"stop_s": 0.2, "exit_status": 0}')}
