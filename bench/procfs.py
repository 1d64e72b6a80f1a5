"""What the kernel says about a process tree: memory, threads, descriptors, CPU time.

Only /proc, so it runs on the board and in QEMU without psutil. Memory follows the anchors'
rule for comparing with peers: PSS (shared pages split between their users) and RSS summed
over every process of the stack, from ``/proc/<pid>/smaps_rollup``; threads from ``status``.
A process that exits while it is being read counts as absent, not as an error.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")


def parse_kib(text: str, key: str) -> int:
    """The ``key:  123 kB`` (or plain count) value of a status/smaps_rollup text; 0 if absent."""
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == key:
            return int(rest.split()[0])
    return 0


def parse_stat(text: str) -> tuple[int, int]:
    """(parent pid, utime + stime in clock ticks) from ``/proc/<pid>/stat``.

    The command name in parentheses may itself contain spaces and parentheses, so the fields
    are counted from the last ``)``.
    """
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def parents(proc: Path = PROC) -> dict[int, int]:
    """pid -> parent pid of every process visible now."""
    found = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            text = _read(entry / "stat")
            if text is not None:
                found[int(entry.name)] = parse_stat(text)[0]
    return found


def family(pid: int, proc: Path = PROC) -> list[int]:
    """``pid`` and every process below it (``--process-per-module`` starts children)."""
    parent_of = parents(proc)
    members, frontier = [pid], {pid}
    while frontier:
        frontier = {child for child, parent in parent_of.items() if parent in frontier}
        members += sorted(frontier)
    return members


@dataclass(frozen=True)
class Footprint:
    """Sums over a process tree at one moment."""

    processes: int
    pss_kib: int
    rss_kib: int
    threads: int
    fds: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def footprint(pid: int, proc: Path = PROC) -> Footprint:
    processes = pss = rss = threads = fds = 0
    for member in family(pid, proc):
        status = _read(proc / str(member) / "status")
        rollup = _read(proc / str(member) / "smaps_rollup")
        if status is None:
            continue
        processes += 1
        threads += parse_kib(status, "Threads")
        if rollup is not None:
            pss += parse_kib(rollup, "Pss")
            rss += parse_kib(rollup, "Rss")
        else:  # kernels before 4.14: no rollup, no PSS
            rss += parse_kib(status, "VmRSS")
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            fds += len(os.listdir(proc / str(member) / "fd"))
    return Footprint(processes, pss, rss, threads, fds)


def cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """User + system CPU time consumed so far by the live processes of the tree."""
    ticks = 0
    for member in family(pid, proc):
        text = _read(proc / str(member) / "stat")
        if text is not None:
            ticks += parse_stat(text)[1]
    return ticks / os.sysconf("SC_CLK_TCK")


def thread_activity(pid: int, proc: Path = PROC) -> dict[str, tuple[int, int]]:
    """By thread name: (voluntary context switches, CPU clock ticks) so far.

    A voluntary switch is a thread going to sleep, so one wakeup each. Threads of the same name
    (a process per module) are summed; the stack names its threads after the modules
    (runtime/threadname.py), so the table says which module wakes up and which one computes.
    """
    activity: dict[str, tuple[int, int]] = {}
    for member in family(pid, proc):
        tasks = proc / str(member) / "task"
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for task in tasks.iterdir():
                status, stat = _read(task / "status"), _read(task / "stat")
                name = (_read(task / "comm") or "?").strip()
                if status is not None and stat is not None:
                    switches, ticks = activity.get(name, (0, 0))
                    activity[name] = (switches + parse_kib(status, "voluntary_ctxt_switches"),
                                      ticks + parse_stat(stat)[1])
    return activity
