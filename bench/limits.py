"""The hard limits: a benchmark run that breaks one exits non-zero, so CI notices.

From anchors.md: IEC 61851-1 allows 100 ms from the car leaving C (C->B, C->A), from a CP fault
and (our own rule) from an RCM trip to open relays; the whole stack must stay under 64 MiB
resident on the host. On the emulated board (section ``board``): CPU and start-up ceilings at
twice the goals of docs/performance.md. Everything else is reported, not asserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.latency import OPENING

Check = tuple[bool, str]


@dataclass(frozen=True)
class Limits:
    open_ms: float = 100.0   # cause -> relay contacts open, simulated clock
    rss_mib: float = 64.0    # RSS summed over the stack's processes, default single process


# The emulated board's ceilings: twice issue 14's goals (idle 3 %, charging 10 %, start-up 3 s),
# so only a hard regression fails CI, never the noise of one run.
BOARD_CEILINGS = (("idle", "cpu_percent", 6.0, "idle CPU % of the core"),
                  ("charging", "cpu_percent", 20.0, "CPU % of the core while charging at 16 A"),
                  ("startup", "ready_s", 6.0, "s from exec to every module ready"))


def _relays(latency: dict[str, Any], limit_ms: float) -> list[Check]:
    checks = []
    for key in OPENING:
        figure = latency["figures"][key]
        contact = figure.get("contact")
        if figure["missed"] or contact is None:
            checks.append((False, f"{figure['label']}: the relays did not open at all in "
                                  f"{figure['missed']} event(s)"))
            continue
        worst = contact["max"]
        checks.append((worst <= limit_ms,
                       f"{figure['label']}: contacts open at worst after {worst:.1f} ms of "
                       f"{contact['count']} events (limit {limit_ms:.0f} ms)"))
    return checks


def _memory(modes: list[dict[str, Any]], limit_mib: float) -> list[Check]:
    checks = []
    for mode in modes:
        if mode["mode"] != "single process":
            continue  # reported only: each module process carries its own interpreter
        for state in ("idle", "charging"):
            if state in mode:
                worst = mode[state]["peak_rss_kib"] / 1024
                checks.append((worst <= limit_mib,
                               f"{mode['mode']}, {state}: whole stack resident {worst:.1f} MiB "
                               f"at peak (limit {limit_mib:.0f} MiB)"))
    return checks


def _board(board: dict[str, Any]) -> list[Check]:
    return [(board[group][key] <= ceiling,
             f"emulated board: {board[group][key]:g} {what} (ceiling {ceiling:g})")
            for group, key, ceiling, what in BOARD_CEILINGS]


def check(results: dict[str, Any], limits: Limits) -> list[Check]:
    """One (passed, sentence) per limit the results can speak to; errors count as failures."""
    checks: list[Check] = []
    if results.get("latency"):
        checks += _relays(results["latency"], limits.open_ms)
    if results.get("stack"):
        checks += _memory(results["stack"], limits.rss_mib)
    if results.get("board"):
        checks += _board(results["board"])
    checks += [(False, f"{section} could not be measured: {error}")
               for section, error in results.get("errors", {}).items()]
    return checks
