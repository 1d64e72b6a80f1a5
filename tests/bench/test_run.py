"""bench/run end to end (briefly), and the parts it drives: bus modules, a stack process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.brokers import EMBEDDED_IN_PROCESS
from bench.bus import measure as measure_bus
from bench.configs import SHIPPED, prepare
from bench.process_stack import StackProcess
from bench.procfs import footprint

from tests.conftest import Mosquitto

RUN = Path(__file__).resolve().parents[2] / "bench" / "run"


def bench_run(*args: str, json_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUN), *args, "--json", str(json_path)],
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_broken_hard_limit_exits_non_zero_and_says_which(tmp_path: Path) -> None:
    done = bench_run("--quick", "--only", "latency", "--events", "1", "--workers", "1",
                     "--limit-open-ms", "0.5", json_path=tmp_path / "results.json")
    assert done.returncode == 1, done.stderr
    assert "bench: FAIL: car C->A (unplug) -> relays open: contacts open at worst after" \
        in done.stderr
    assert "- FAIL: RCM trip -> relays open" in done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["latency"]["figures"]["unplug"]["contact"]["count"] >= 1
    assert not any(check["passed"] for check in results["checks"])


def test_unknown_sections_are_refused(tmp_path: Path) -> None:
    done = bench_run("--only", "bus,speed", json_path=tmp_path / "results.json")
    assert done.returncode == 2 and "unknown section(s) speed" in done.stderr
    assert not (tmp_path / "results.json").exists()


def test_the_bus_modules_exchange_commands_and_variables() -> None:
    row = measure_bus(EMBEDDED_IN_PROCESS, 0.2)
    assert row["calls"] > 0 and row["round_trips_per_s"] > 0
    assert row["all_delivered"] and row["delivered"] == row["published"] > 0


def test_a_stack_process_is_timed_and_measured(mosquitto: Mosquitto) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stack = StackProcess(prepare(SHIPPED, Path(tmp)), mosquitto.address, False, Path(tmp))
        try:
            stack.start()
            ready = stack.wait_ready()
            assert 0 < ready <= stack.wait_first_cp() + 1.0
            measured = footprint(stack.pid)
            assert measured.processes == 1 and measured.threads > 1
            assert measured.rss_kib > measured.pss_kib > 0
            seconds, status = stack.stop()
            assert status == 0 and 0 < seconds < 10
        finally:
            stack.kill()
