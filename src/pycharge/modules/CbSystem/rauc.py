"""Reading ``rauc status``: which root file system slot runs, which one an update goes to.

The A/B slot to partition mapping differs between boards (chargebyte.md §8), so it is never
assumed: like chargebyte's CbSystem we read the slot lines of ``rauc status`` (ANSI colours
stripped), e.g. ``x [rootfs.1] (/dev/mmcblk0p1, ext4, booted)``, and the ``Booted from:`` and
``Activated:`` lines, and take the slot names from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROOTFS_CLASS = "rootfs"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SLOT = re.compile(r"\[(?P<name>[A-Za-z0-9_-]+\.\d+)\]\s*\((?P<info>[^)]*)\)")
_BOOTED_FROM = re.compile(r"^\s*Booted from:\s*(?P<name>\S+)")
_ACTIVATED = re.compile(r"^\s*Activated:\s*(?P<name>\S+)")
_BOOT_STATUS = re.compile(r"^\s*boot status:\s*(?P<status>\S+)")


@dataclass(frozen=True)
class Slot:
    """One slot line and the ``boot status`` that follows it."""

    name: str
    state: str  # booted, active or inactive
    boot_status: str = ""

    @property
    def is_rootfs(self) -> bool:
        return self.name.startswith(ROOTFS_CLASS + ".")


@dataclass
class RaucStatus:
    """What ``rauc status`` said, reduced to what a firmware update needs."""

    booted_from: str | None = None
    activated: str | None = None
    slots: dict[str, Slot] = field(default_factory=dict)

    @property
    def booted(self) -> str | None:
        """The root file system slot we run from."""
        booted = [s.name for s in self.slots.values() if s.is_rootfs and s.state == "booted"]
        if len(booted) == 1:
            return booted[0]
        return self.booted_from if self.booted_from in self.slots else None

    @property
    def inactive(self) -> str | None:
        """The root file system slot an update is written to; None unless there is exactly one."""
        inactive = [s.name for s in self.slots.values() if s.is_rootfs and s.state == "inactive"]
        return inactive[0] if len(inactive) == 1 else None

    def activated_for_next_boot(self, target: str) -> bool:
        """After ``rauc install``: ``target`` is the slot to boot next, marked good, not the running one."""
        slot = self.slots.get(target)
        return (slot is not None and self.activated == target and self.booted != target
                and slot.boot_status == "good")


def parse_status(text: str) -> RaucStatus:
    """Parse the readable output of ``rauc status``; unknown lines are ignored."""
    status = RaucStatus()
    current: Slot | None = None
    for raw_line in _ANSI.sub("", text).splitlines():
        if match := _BOOTED_FROM.match(raw_line):
            status.booted_from = match["name"]
        elif match := _ACTIVATED.match(raw_line):
            status.activated = match["name"]
        elif match := _SLOT.search(raw_line):
            state = match["info"].split(",")[-1].strip()
            current = Slot(match["name"], state)
            status.slots[current.name] = current
        elif (match := _BOOT_STATUS.match(raw_line)) and current is not None:
            current = Slot(current.name, current.state, match["status"])
            status.slots[current.name] = current
    return status
