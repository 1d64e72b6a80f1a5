"""The board bench: the stack on the emulated board, at the board's calibrated speed.

Boots the QEMU guest of the ptest step (ARMv7 Cortex-A7, one core, 512 MB, Debian armhf with
this checkout installed at the recipe's paths) with instruction counting, ``-icount
shift=N,sleep=on``: every guest instruction takes 2**N ns of guest time whatever the host's
load, and an idle guest's clock follows real time. Inside, ``board_guest.py`` runs the
calibration workload, then the shipped config on the simulated board: start-up, idle, charging
at 16 A. The calibration (docs/performance.md) picks N so that the workload runs as fast as on a
792 MHz Cortex-A7. Needs qemu-system-arm, and the Debian archive once for the cached base.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.qemu.console import boot as boot_qemu
from tests.qemu.console import qemu_command
from tests.qemu.harness import build_initrd
from tests.qemu.rootfs import CACHE, MIRROR, build_base

from bench import calibration

ICOUNT_SHIFT = 1  # docs/performance.md, "Calibration": 2 ns per instruction, 500 M per second
BOOT_MARGIN_S = 600.0  # boot, calibration, start-up and stop on a slow host, beyond the windows
PREFIX = "BOARD: "
END_MARKER = "PYCHARGE-QEMU-END:"


class BoardConsole:
    """Collects the guest's ``BOARD:`` lines; the guest's end marker says it finished."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}
        self.errors: list[str] = []
        self.timed_out = False
        self.ended = False
        self.tail: list[str] = []

    def feed(self, line: str) -> None:
        line = line.rstrip("\r\n").lstrip("\r")
        self.tail = [*self.tail[-30:], line]
        if line.startswith(PREFIX):
            try:
                figures = json.loads(line[len(PREFIX):])
                self.groups[figures.pop("group")] = figures
            except (ValueError, KeyError, AttributeError) as exc:
                self.errors.append(f"unreadable board line {line[:120]!r}: {exc}")
        elif line.startswith(END_MARKER):
            self.ended = True


def measure(settle_s: float, idle_s: float, charging_s: float,
            shift: int = ICOUNT_SHIFT, ocpp: bool = False) -> dict[str, Any]:
    """Boot, measure, power off; the guest's figures with the host's calibration beside them.

    ``ocpp``: bsp-only-ocpp.yaml connected to a CSMS in the guest, start-up and idle only."""
    host = min((calibration.measure() for _ in range(3)), key=lambda r: r["us_per_round"])
    base = build_base(CACHE, MIRROR, False)
    console = BoardConsole()
    append = (f"console=ttyAMA0 rdinit=/init quiet panic=-1 pycharge_qemu.mode=board "
              f"pycharge_qemu.settle={settle_s:g} pycharge_qemu.idle={idle_s:g} "
              f"pycharge_qemu.charging={charging_s:g} pycharge_qemu.ocpp={int(ocpp)}")
    with tempfile.TemporaryDirectory(prefix="pycharge-board-") as tmp:
        initrd = build_initrd(Path(tmp), base)
        command = qemu_command(base.kernel, initrd, "cortex-a7", append, shift)
        timeout = BOOT_MARGIN_S + 2 * settle_s + idle_s + charging_s
        status = boot_qemu(command, console, timeout, echo=sys.stderr)
    wanted = ("calibration", "startup", "idle") if ocpp else (
        "calibration", "startup", "idle", "charging")
    missing = [g for g in wanted if g not in console.groups]
    if missing or console.errors or console.timed_out:
        why = console.errors + [f"no {g} figures" for g in missing]
        if console.timed_out:
            why.append(f"QEMU was killed after {timeout:.0f} s")
        raise RuntimeError(f"board bench incomplete (QEMU exit {status}): {'; '.join(why)}; "
                           "the console's last lines:\n" + "\n".join(console.tail))
    guest = console.groups["calibration"]
    return {"icount_shift": shift, "host_calibration": host,
            "slowdown": round(guest["us_per_round"] / host["us_per_round"], 1),
            **console.groups}
