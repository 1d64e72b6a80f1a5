"""Simulated system programs for ``pycharge sim`` and tests (``simulate_system_commands``).

The programs that change the system — rauc, reboot, timedatectl — and the soft-reset signal
are replaced; openssl and journalctl only read, so they still run for real. Every call, real or
simulated, is appended to ``<state_dir>/simulated-programs.jsonl`` so a test or a person can see
exactly what the module would have run on a charger.

The simulated RAUC keeps its slots in ``<state_dir>/simulated-system.json``: ``rauc install``
succeeds for a file that starts like every RAUC bundle (the SquashFS magic ``hsqs``) and
activates the other root file system slot; ``reboot`` boots the activated slot and changes the
boot id. A module restarted on the same state directory thus sees the system after the reboot.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pycharge.modules.CbSystem.programs import ProgramResult, Programs, stack_pid

RECORD_FILE = "simulated-programs.jsonl"
STATE_FILE = "simulated-system.json"
BUNDLE_MAGIC = b"hsqs"
# Slot layout as on a Charge Control C (chargebyte.md §8): rootfs.1 lives on p1 (bootname B).
_SLOTS = {"rootfs.0": ("A", "/dev/mmcblk0p2", "customerfs.0", "/dev/mmcblk0p7"),
          "rootfs.1": ("B", "/dev/mmcblk0p1", "customerfs.1", "/dev/mmcblk0p6")}


class SimulatedPrograms(Programs):
    """Programs whose effects on the system are simulated and recorded."""

    def __init__(self, state_dir: Path, rauc: str, reboot: str, timedatectl: str) -> None:
        self.record_path = state_dir / RECORD_FILE
        self._state_path = state_dir / STATE_FILE
        self._lock = threading.Lock()
        self._simulated: dict[str, Callable[[list[str]], ProgramResult]] = {
            rauc: self._rauc, reboot: self._reboot, timedatectl: self._timedatectl}
        if not self._state_path.exists():
            self._save({"booted": "rootfs.0", "activated": "rootfs.0",
                        "boot_id": str(uuid.uuid4())})

    def run(self, argv: Sequence[str], timeout: float, stdout_path: Path | None = None
            ) -> ProgramResult:
        argv = [str(arg) for arg in argv]
        handler = self._simulated.get(argv[0]) if argv else None
        self._record(argv, simulated=handler is not None)
        if handler is None:
            return super().run(argv, timeout, stdout_path)
        result = handler(argv[1:])
        if stdout_path is not None:
            stdout_path.write_text(result.stdout, encoding="utf-8")
        return result

    def available(self, path: str) -> bool:
        return path in self._simulated or super().available(path)

    def boot_id(self) -> str:
        return self._state()["boot_id"]

    def terminate_stack(self) -> None:
        self._record(["kill", "-TERM", str(stack_pid())], simulated=True)

    # -- the simulated programs -------------------------------------------------------------------
    def _rauc(self, args: list[str]) -> ProgramResult:
        if args == ["status"]:
            return ProgramResult(0, _status_text(self._state()))
        if len(args) == 2 and args[0] == "install":
            return self._install(Path(args[1]))
        return ProgramResult(1, "", f"rauc (simulated): unsupported arguments {args}")

    def _install(self, bundle: Path) -> ProgramResult:
        try:
            with bundle.open("rb") as stream:
                magic = stream.read(len(BUNDLE_MAGIC))
        except OSError as exc:
            return ProgramResult(1, "", f"Failed to open bundle: {exc.strerror}")
        if magic != BUNDLE_MAGIC:
            return ProgramResult(1, "", "Failed to check bundle: not a RAUC bundle (simulated)")
        with self._lock:
            state = self._state()
            state["activated"] = _other(state["booted"])
            self._save(state)
        return ProgramResult(0, f"installing `{bundle}`: succeeded\n")

    def _reboot(self, args: list[str]) -> ProgramResult:
        if args:
            return ProgramResult(1, "", f"reboot (simulated): unexpected arguments {args}")
        with self._lock:
            state = self._state()
            state["booted"] = state["activated"]
            state["boot_id"] = str(uuid.uuid4())
            self._save(state)
        return ProgramResult(0)

    def _timedatectl(self, args: list[str]) -> ProgramResult:
        if len(args) == 2 and args[0] == "set-time":
            return ProgramResult(0)
        return ProgramResult(1, "", f"timedatectl (simulated): unsupported arguments {args}")

    # -- state and records ------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return json.loads(self._state_path.read_text(encoding="utf-8"))

    def _save(self, state: dict[str, Any]) -> None:
        temporary = self._state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self._state_path)

    def _record(self, argv: list[str], simulated: bool) -> None:
        line = json.dumps({"argv": argv, "simulated": simulated}) + "\n"
        with self._lock, self.record_path.open("a", encoding="utf-8") as stream:
            stream.write(line)


def _other(slot: str) -> str:
    return "rootfs.1" if slot == "rootfs.0" else "rootfs.0"


def _status_text(state: dict[str, Any]) -> str:
    """``rauc status`` as RAUC prints it, for the simulated slots."""
    booted, activated = state["booted"], state["activated"]
    lines = ["=== System Info ===", "Compatible:  I2SE Tarragon", "Variant:",
             f"Booted from: {booted} ({_SLOTS[booted][0]})", "", "=== Bootloader ===",
             f"Activated: {activated} ({_SLOTS[activated][0]})", "", "=== Slot States ==="]
    for name, (bootname, device, child, child_device) in _SLOTS.items():
        state_word = "booted" if name == booted else "inactive"
        lines += [f"{'x' if name == booted else 'o'} [{name}] ({device}, ext4, {state_word})",
                  f"\tbootname: {bootname}", "\tboot status: good",
                  f"    [{child}] ({child_device}, ext4, "
                  f"{'active' if name == booted else 'inactive'})", ""]
    return "\n".join(lines)
