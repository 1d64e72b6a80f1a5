"""The firmware-update marker: what we expect to boot into after an installation.

Before ``rauc install`` the module records the slot it installs to, the request id and the id
of the running boot. After the reboot the booted slot tells whether the update took (chargebyte's
``.ocpp_fw_installed`` idea). The boot id tells a real reboot from a mere restart of the module:
a marker of the current boot belongs to an update still under way and is left alone.

The file is written to a temporary name, fsync'd, renamed and its directory fsync'd, so a power
cut leaves either the old marker or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from pycharge.runtime.durable_files import fsync_directory, write_atomically

MARKER_FILE = "firmware-update.marker"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Marker:
    """One firmware installation in flight."""

    slot: str
    request_id: int
    boot_id: str


class MarkerStore:
    """The marker file in the persistent state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / MARKER_FILE

    def write(self, marker: Marker) -> None:
        write_atomically(self.path, json.dumps(asdict(marker)).encode())

    def read(self) -> Marker | None:
        """The marker, or None if there is none; a damaged one is reported and removed."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Marker(str(data["slot"]), int(data["request_id"]), str(data["boot_id"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("firmware-update marker %s is unreadable (%s); removing it", self.path, exc)
            self.remove()
            return None

    def remove(self) -> None:
        if self.path.exists():
            self.path.unlink()
            fsync_directory(self.path.parent)
