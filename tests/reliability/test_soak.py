"""The soak, CI-sized: the same code as ``bench/soak --hours N``, for about a minute and a half.

Back-to-back sessions on ``pycharge run --sim`` (bsp-only.yaml with the session store) with
random pauses, limit changes, car pauses and board faults from a fixed seed; the run must have
no stuck session, no error left active, no unexpected log line, and no growth of threads, open
files or memory between its first and last third (``bench/soak_verdict.py`` says why those
tolerances). A short run only finds coarse leaks; the long run finds small ones.
"""

from __future__ import annotations

from pathlib import Path

from bench.procfs import Footprint
from bench.soak_plan import ACTIONS, CI_PACE
from bench.soak_run import soak
from bench.soak_verdict import RSS_TOLERANCE_KIB, growth, unexpected

from tests.conftest import Mosquitto

SECONDS = 100.0
SEED = 4  # draws every kind of action within the CI run


def test_soak_ci_sized(tmp_path: Path, private_mosquitto: Mosquitto) -> None:
    result = soak(SECONDS, SEED, private_mosquitto.address, tmp_path, CI_PACE, sample_s=1.0)
    summary = result.summary()
    assert summary["problems"] == [], summary
    assert result.sessions >= 5, summary
    kinds = {name.split()[0] for name in result.actions}
    assert kinds >= {"pause", "resume", "limit", "ev_pause", "fault"}, result.actions
    assert set(ACTIONS) <= kinds
    assert len(summary["growth"]) == 3 and all(check["ok"] for check in summary["growth"])


def _samples(rss: list[int], threads: list[int], fds: list[int]) -> list[tuple[float, Footprint]]:
    return [(float(i), Footprint(1, r, r, t, f))
            for i, (r, t, f) in enumerate(zip(rss, threads, fds, strict=True))]


def test_growth_is_caught() -> None:
    flat = _samples([30_000] * 9, [12] * 9, [12] * 9)
    assert all(g.ok for g in growth(flat))
    leaking = _samples([30_000 + i * RSS_TOLERANCE_KIB for i in range(9)], [12] * 9, [12] * 9)
    assert [g.what for g in growth(leaking) if not g.ok] == ["RSS KiB (median)"]
    threads = _samples([30_000] * 9, [12] * 8 + [13], [12] * 9)
    assert [g.what for g in growth(threads) if not g.ok] == ["threads (max)"]
    files = _samples([30_000] * 9, [12] * 9, [12] * 8 + [14])
    assert [g.what for g in growth(files) if not g.ok] == ["open fds (max)"]


def test_unexpected_log_lines_are_caught() -> None:
    at = "2026-01-01 12:00:00.000"
    lines = [f"{at} ERROR   [tarragon_bsp] Diode fault detected.",
             f"{at} ERROR   [connector] inoperative because of evse_board_support/DiodeFault "
             "(Diode fault detected.)",
             f"{at} WARNING [tarragon_bsp] closing delayed by 3.0 s (minimum close interval)",
             f"{at} ERROR   [api] connector.pause_charging failed: CmdTimeout: no answer",
             f"{at} WARNING [manager] restarting module connector (restart 1)",
             f"{at} CRITICAL [manager] not ready after 30 s: connector",
             "Traceback (most recent call last):"]
    assert unexpected(lines) == lines[3:]
