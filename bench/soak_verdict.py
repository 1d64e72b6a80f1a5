"""Did the soak leak or go wrong? Growth between the first and last third, unexpected logs.

Growth: the samples (one every few seconds) are split into thirds by time. Threads and open
file descriptors must not grow at all: the stack has a fixed set of each once running, and a
transient one (a reconnect, a query) shows in the first third as well as the last. Resident
memory (RSS of the stack's process tree) may differ by ``RSS_TOLERANCE_KIB`` between the
medians of the two thirds: CPython's allocator keeps freed arenas and SQLite its page cache,
so RSS wanders by a few hundred KiB with no leak. A leak of 1 KiB per session, the smallest
worth finding, grows RSS by 1 MiB in a thousand sessions, which the long run shows against the
same tolerance; the short CI run only catches coarse leaks.

Logs: the stack logs at WARNING and above for what an operator must see. Injected faults make
the board driver and EvseManager log errors; those are listed in ``EXPECTED`` with their cause.
Anything else at ERROR or above, a traceback, a module restart or a lost broker is unexpected.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from bench.procfs import Footprint
from bench.soak_stack import log_level_of

RSS_TOLERANCE_KIB = 2048

# ERROR lines an injected fault causes, and nothing else does.
EXPECTED = (
    re.compile(r"\[tarragon_bsp\] (Diode fault detected|CP short fault detected|CP voltage is "
               r"out of range)\.$"),  # DiodeFault, MREC14PilotFault (CP short)
    # Sessions end with the car unplugged while charging: when a PP sample falls between the
    # cable leaving and the CP's A being confirmed (two samples), that is a PlugRemoval.
    re.compile(r"\[tarragon_bsp\] Plug removed from socket during charge$"),
    re.compile(r"\[connector\] inoperative because of evse_board_support/"
               r"(DiodeFault|MREC14PilotFault|MREC23ProximityFault)\b"),  # EvseManager's reaction
)
# WARNING lines that are never part of a healthy run.
NEVER = re.compile(r"restarting module|module \S+ stopped|lost the MQTT broker|did not stop|"
                   r"not ready after|no heartbeat from|internal error")


@dataclass(frozen=True)
class Growth:
    what: str
    first: float
    last: float
    allowed: float

    @property
    def ok(self) -> bool:
        return self.last - self.first <= self.allowed

    def describe(self) -> str:
        return (f"{self.what}: first third {self.first:.0f}, last third {self.last:.0f} "
                f"(+{self.last - self.first:.0f}, allowed +{self.allowed:.0f})")


def thirds(samples: list[tuple[float, Footprint]]) -> tuple[list[Footprint], list[Footprint]]:
    """The samples of the first and of the last third of the run's duration."""
    start, end = samples[0][0], samples[-1][0]
    third = (end - start) / 3
    first = [f for t, f in samples if t <= start + third]
    last = [f for t, f in samples if t >= end - third]
    return first, last


def growth(samples: list[tuple[float, Footprint]]) -> list[Growth]:
    first, last = thirds(samples)
    return [
        Growth("RSS KiB (median)", statistics.median(f.rss_kib for f in first),
               statistics.median(f.rss_kib for f in last), RSS_TOLERANCE_KIB),
        Growth("threads (max)", max(f.threads for f in first), max(f.threads for f in last), 0),
        Growth("open fds (max)", max(f.fds for f in first), max(f.fds for f in last), 0),
    ]


def unexpected(lines: list[str]) -> list[str]:
    """The kept log lines that no injected fault explains."""
    return [line for line in lines if _unexplained(line)]


def _unexplained(line: str) -> bool:
    level = log_level_of(line)
    if level is None or level == "CRITICAL" or NEVER.search(line):
        return True
    return level == "ERROR" and not any(p.search(line) for p in EXPECTED)
