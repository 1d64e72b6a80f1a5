"""IIO ADC channels found by the device's ``name`` attribute (never by ``iio:deviceN``).

The board has more than one IIO device (the accelerometer is one), and their numbering is not
stable, so chargebyte looks the ADC up by name; so do we. The channel file stays open and is
re-read from offset 0 for each sample; every read triggers a conversion.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from pycharge.hal.errors import AdcError
from pycharge.hal.sysfs import find_named, read_int


def find_iio_device(sysfs_root: str | Path, name: str) -> Path:
    """The ``iio:deviceN`` directory whose ``name`` file reads ``name``."""
    base = Path(sysfs_root) / "bus" / "iio" / "devices"
    device, seen = find_named(sorted(base.glob("iio:device*")),
                              lambda d: (d / "name").read_text().strip(), name)
    if device is None:
        raise AdcError(errno.ENODEV, f"no IIO device named {name} under {base}; "
                                     f"found: {', '.join(seen) or 'none'}")
    return device


class IioAdcChannel:
    """``in_<channel>_raw`` of one IIO device, kept open."""

    def __init__(self, sysfs_root: str | Path, device: str, channel: str) -> None:
        directory = find_iio_device(sysfs_root, device)
        self.path = directory / f"in_{channel}_raw"
        try:
            self._fd: int | None = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            channels = sorted(p.name[3:-4] for p in directory.glob("in_*_raw"))
            raise AdcError(exc.errno, f"IIO device {device} ({directory.name}) has no channel "
                                      f"{channel} ({self.path.name}: {exc.strerror}); channels: "
                                      f"{', '.join(channels) or 'none'}") from exc

    def read_raw(self) -> int:
        if self._fd is None:
            raise AdcError(errno.EBADF, f"{self.path} is closed")
        fd = self._fd
        return read_int(lambda: os.pread(fd, 32, 0).decode(), self.path, AdcError)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __repr__(self) -> str:
        return f"<IioAdcChannel {self.path}>"
