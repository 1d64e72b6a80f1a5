"""The hard limits, on results shaped like bench/run's, and how the report shows them."""

from __future__ import annotations

from typing import Any

from bench.latency import LABELS, OPENING
from bench.limits import Limits, check
from bench.report import markdown


def relay_figure(key: str, contact_max: float, missed: int = 0) -> dict[str, Any]:
    summary = {"count": 200, "p50": 5.0, "p99": contact_max, "max": contact_max}
    return {"label": LABELS[key], "missed": missed, "coil": summary, "contact": summary}


def results(contact_max: float = 24.0, missed: int = 0, rss_mib: float = 32.0,
            per_module_rss_mib: float = 175.0) -> dict[str, Any]:
    def state(rss: float) -> dict[str, Any]:
        kib = int(rss * 1024)
        return {"processes": 1, "threads": 11, "fds": 9, "pss_kib": kib // 2, "rss_kib": kib,
                "peak_rss_kib": kib, "peak_pss_kib": kib // 2, "seconds": 60.0,
                "cpu_percent": 2.5}

    figures = {key: relay_figure(key, contact_max, missed) for key in OPENING}
    runs = [{"ready_s": 1.2, "first_cp_s": 1.3, "stop_s": 0.2, "exit_status": 0}]
    return {
        "machine": {"cpu": "Test CPU", "cores": 2, "arch": "x86_64", "memory_mib": 1024,
                    "kernel": "6.1", "python": "3.11.7", "paho_mqtt": "2.2.0",
                    "pycharge": "0.1.0", "load_average": [0.5, 0.4, 0.3], "date": "today"},
        "options": {"quick": True, "config": "bsp-only.yaml", "broker": "mosquitto"},
        "latency": {"sessions": 200, "workers": 4, "wall_s": 80.0, "figures": figures,
                    "incidents": {}, "close_interval": None},
        "stack": [{"mode": "single process", "runs": runs, "idle": state(rss_mib),
                   "charging": state(rss_mib)},
                  {"mode": "process per module", "runs": runs,
                   "idle": state(per_module_rss_mib)}],
        "errors": {}}


def failures(checks: list[tuple[bool, str]]) -> list[str]:
    return [text for ok, text in checks if not ok]


def test_results_within_the_limits_pass() -> None:
    checks = check(results(), Limits())
    assert len(checks) == len(OPENING) + 2 and not failures(checks)


def test_relays_opening_late_fail() -> None:
    found = failures(check(results(contact_max=100.5), Limits()))
    assert len(found) == len(OPENING)
    assert "contacts open at worst after 100.5 ms of 200 events (limit 100 ms)" in found[0]


def test_relays_that_never_opened_fail() -> None:
    found = failures(check(results(missed=1), Limits()))
    assert len(found) == len(OPENING) and "did not open at all in 1 event(s)" in found[0]


def test_a_stack_over_64_mib_resident_fails_but_only_in_the_default_mode() -> None:
    assert failures(check(results(rss_mib=64.5), Limits())) == [
        "single process, idle: whole stack resident 64.5 MiB at peak (limit 64 MiB)",
        "single process, charging: whole stack resident 64.5 MiB at peak (limit 64 MiB)"]
    assert not failures(check(results(per_module_rss_mib=500.0), Limits()))


def test_the_limits_can_be_tightened() -> None:
    assert len(failures(check(results(), Limits(open_ms=20.0, rss_mib=16.0)))) == \
        len(OPENING) + 2


def test_a_section_that_could_not_run_fails() -> None:
    broken = results()
    broken["errors"] = {"stack": "RuntimeError: pycharge run exited with 2"}
    assert failures(check(broken, Limits())) == [
        "stack could not be measured: RuntimeError: pycharge run exited with 2"]


def test_the_report_has_every_section_and_the_verdicts() -> None:
    data = results(contact_max=150.0)
    text = markdown(data, check(data, Limits()))
    assert "Machine: Test CPU, 2 cores (x86_64)" in text
    assert "| car C->A (unplug) -> relays open | 200 | 5.0 | 150.0 | 150.0 | 150.0 | 150.0 | 0 |" \
        in text
    assert "| single process | idle, no car (60 s) | 1 | 11 | 9 | 16.0 | 32.0 (32.0) | 2.5 |" \
        in text
    assert "| single process | 1 | 1.20 | 1.30 | 0.20 |" in text
    assert "- FAIL: RCM trip -> relays open" in text
    assert "- PASS: single process, idle" in text
