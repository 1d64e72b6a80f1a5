"""Boot the guest, stream its serial console and judge what it printed.

The verdict follows testimage's ptest rules (oe-core logparser and runtime/cases/ptest.py): any
FAIL, a non-zero run-ptest exit, a suite timeout, or no results at all fail the run; we also
demand the guest's end marker, so a hang, a panic or a lost console never passes.
"""

from __future__ import annotations

import re
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

END_MARKER = "PYCHARGE-QEMU-END:"
RESULT = re.compile(r"^(PASS|FAIL|SKIP):\s*(.+?)\s*$")
SUITE_ERROR = re.compile(r"^ERROR: Exit status is (-?\d+)")
SUITE_TIMEOUT = re.compile(r"^TIMEOUT: (.+)")
INFO = re.compile(r"^(QEMU-GUEST|MEASURE): (.+)")
PANIC = re.compile(r"Kernel panic")


def _shortened(name: str, limit: int = 200) -> str:
    """Parametrised test ids can be kilobytes long; the report needs to name them, not quote."""
    return name if len(name) <= limit else name[:limit] + "..."


@dataclass
class PtestLog:
    """What the console showed: results by kind, suite errors, notes, and whether it ended."""

    results: dict[str, list[str]] = field(default_factory=lambda: {"PASS": [], "FAIL": [],
                                                                   "SKIP": []})
    suite_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ended: bool = False
    timed_out: bool = False
    measure_required: bool = False

    def feed(self, line: str) -> None:
        line = line.rstrip("\r\n").lstrip("\r")
        if match := RESULT.match(line):
            self.results[match[1]].append(_shortened(match[2]))
        elif match := SUITE_ERROR.match(line):
            self.suite_errors.append(f"run-ptest exited with status {match[1]}")
        elif match := SUITE_TIMEOUT.match(line):
            self.suite_errors.append(f"{match[1]} was killed after staying silent too long")
        elif match := INFO.match(line):
            self.notes.append(line)
        elif line.startswith(END_MARKER):
            self.ended = True
        elif PANIC.search(line):
            self.suite_errors.append(f"the guest kernel panicked: {line.strip()}")

    def measurements(self, kind: str) -> list[str]:
        return [note for note in self.notes if note.startswith(f"MEASURE: {kind}")]

    def problems(self) -> list[str]:
        """Why the run fails; empty when every result is PASS or SKIP and the guest finished."""
        problems = [f"FAIL: {name}" for name in self.results["FAIL"]] + self.suite_errors
        if not self.results["PASS"]:
            problems.append("no test passed (no PASS: line on the console)")
        if self.timed_out:
            problems.append("the whole run took longer than its time limit; QEMU was killed")
        if not self.ended:
            problems.append(f"the guest never printed its end marker ({END_MARKER})")
        if self.measure_required:
            problems += self.measure_warnings()
        return problems

    def measure_warnings(self) -> list[str]:
        """Why the stack measurement gave no numbers; problems only when it is required."""
        return [note.removeprefix("MEASURE: ")
                for note in self.measurements("failed") + self.measurements("not possible yet")]

    def summary(self) -> str:
        """The closing line: 'N passed, N failed, N skipped' as CI and people read it."""
        return (f"{len(self.results['PASS'])} passed, {len(self.results['FAIL'])} failed, "
                f"{len(self.results['SKIP'])} skipped")


def qemu_command(kernel: Path, initrd: Path, cpu: str, append: str,
                 icount_shift: int | None = None) -> list[str]:
    """The board's shape: one core, 512 MB. With ``icount_shift`` N, each guest instruction
    takes 2**N ns of guest time (sleep=on: an idle guest's clock follows the host's)."""
    icount = [] if icount_shift is None else ["-icount", f"shift={icount_shift},sleep=on"]
    return ["qemu-system-arm", "-M", "virt", "-cpu", cpu, "-m", "512", "-smp", "1", *icount,
            "-nographic", "-no-reboot", "-nic", "none", "-kernel", str(kernel),
            "-initrd", str(initrd), "-append", append]


class ConsoleLog(Protocol):
    """What :func:`boot` feeds the console to: PtestLog, or the board bench's reader."""

    timed_out: bool

    def feed(self, line: str) -> None: ...


def boot(command: list[str], log: ConsoleLog, timeout: float, echo: TextIO = sys.stdout) -> int:
    """Run QEMU, echo and parse its console line by line; kill it after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.timed_out = True
                process.kill()
                break
            if not selector.select(remaining):
                continue
            chunk = process.stdout.read1(65536)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace")
                echo.write(line.rstrip("\r") + "\n")
                log.feed(line)
            echo.flush()
    if pending:
        log.feed(pending.decode(errors="replace"))
    process.stdout.close()
    return process.wait()
