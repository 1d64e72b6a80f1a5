"""A fixed Python workload that compares CPUs: the host, the emulated board, a real board.

The stack's own work is small Python: method calls, attribute and dict access, JSON in and out
of MQTT payloads, string formatting for topics and logs, a little float arithmetic. This
workload does exactly that mix, the same number of times on every machine, so the ratio of two
machines' times is the ratio at which the stack's CPU figures scale between them. Run it on a
Charge Control C (``python3 calibration.py``) to check the emulator's calibration in
docs/performance.md against the real board.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

ROUNDS = 20_000


class _Sample:
    """Stands in for a CP sample or a bus message: a few attributes and a method."""

    __slots__ = ("negative_mv", "positive_mv", "state")

    def __init__(self, positive_mv: int, negative_mv: int) -> None:
        self.positive_mv = positive_mv
        self.negative_mv = negative_mv
        self.state = "A"

    def classify(self) -> str:
        mv = self.positive_mv
        self.state = "A" if mv > 10_500 else "B" if mv > 7_500 else "C" if mv > 4_500 else "D"
        return self.state


def one_round(i: int, counts: dict[str, int]) -> int:
    sample = _Sample(12_000 - (i % 97) * 100, -12_000)
    state = sample.classify()
    counts[state] = counts.get(state, 0) + 1
    topic = f"everest/modules/connector/impl/evse/var/{state.lower()}"
    payload = json.dumps({"data": {"state": state, "current_A": i % 32 * 0.5, "topic": topic}})
    decoded: Any = json.loads(payload)
    return len(decoded["data"]["topic"]) + int(decoded["data"]["current_A"] * 2)


def measure(rounds: int = ROUNDS) -> dict[str, float]:
    """Wall time of ``rounds`` rounds on an otherwise idle machine, in µs per round."""
    counts: dict[str, int] = {}
    checksum = 0
    started = time.perf_counter()
    for i in range(rounds):
        checksum += one_round(i, counts)
    elapsed = time.perf_counter() - started
    return {"rounds": rounds, "seconds": round(elapsed, 4),
            "us_per_round": round(1e6 * elapsed / rounds, 3), "checksum": checksum}


if __name__ == "__main__":
    best = min((measure() for _ in range(3)), key=lambda r: r["us_per_round"])
    json.dump({**best, "python": sys.version.split()[0]}, sys.stdout)
    print()
