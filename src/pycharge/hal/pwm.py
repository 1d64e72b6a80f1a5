"""PWM channels with sysfs semantics, and the sysfs implementation found by device name.

``PwmChannel`` holds the rules every PWM channel follows, on the board and in simulation:
duty never above period (so a shorter period lowers the duty first), ratios clamped to [0, 1],
closing disables an enabled output. Subclasses say where the attributes live.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

from pycharge.hal.errors import PwmError
from pycharge.hal.sysfs import find_named, read_int

EXPORT_TIMEOUT = 2.0
_POLL = 0.005


class PwmChannel:
    """One PWM channel; ``period_ns``, ``duty_cycle_ns`` and ``enabled`` write through at once."""

    def __init__(self, description: str) -> None:
        self.description = description
        self._period = self._read("period")
        self._duty = self._read("duty_cycle")
        self._enabled = self._read("enable") == 1

    # -- where the attributes live (subclasses) -------------------------------------------------
    def _read(self, attribute: str) -> int:
        raise NotImplementedError

    def _write(self, attribute: str, value: int) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        """Give the channel back after it was disabled."""

    # -- the rules -------------------------------------------------------------------------------
    @property
    def period_ns(self) -> int:
        return self._period

    @period_ns.setter
    def period_ns(self, value: int) -> None:
        value = int(value)
        if value <= 0:
            raise PwmError(errno.EINVAL, f"{self.description}: period must be positive, not {value}")
        if self._duty > value:  # the kernel refuses a period below the current duty cycle
            self._write("duty_cycle", value)
            self._duty = value
        self._write("period", value)
        self._period = value

    @property
    def duty_cycle_ns(self) -> int:
        return self._duty

    @duty_cycle_ns.setter
    def duty_cycle_ns(self, value: int) -> None:
        value = int(value)
        if not 0 <= value <= self._period:
            raise PwmError(errno.EINVAL, f"{self.description}: duty cycle {value} ns outside "
                                         f"0..{self._period} ns (the period)")
        self._write("duty_cycle", value)
        self._duty = value

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._write("enable", 1 if value else 0)
        self._enabled = bool(value)

    def set_duty_ratio(self, ratio: float) -> None:
        """Duty as a fraction of the period, clamped to [0, 1]."""
        self.duty_cycle_ns = int(self._period * min(1.0, max(0.0, ratio)))

    def close(self) -> None:
        """Disable the output if it is enabled (chargebyte does this on destruction)."""
        if self._enabled:
            self.enabled = False
        self._release()

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.description} period={self._period} "
                f"duty={self._duty} enabled={self._enabled}>")


def find_pwm_chip(sysfs_root: str | Path, device: str) -> Path:
    """The ``pwmchipN`` directory whose ``device`` link points at ``device`` (e.g. 20fc000.pwm)."""
    base = Path(sysfs_root) / "class" / "pwm"
    chip, seen = find_named(sorted(base.glob("pwmchip*")),
                            lambda c: os.path.basename(os.readlink(c / "device")), device)
    if chip is None:
        raise PwmError(errno.ENODEV, f"no PWM chip with device {device!r} under {base}; "
                                     f"found: {', '.join(seen) or 'none'}")
    return chip


class SysfsPwm(PwmChannel):
    """A channel of ``/sys/class/pwm/pwmchipN``, exported on demand."""

    def __init__(self, sysfs_root: str | Path, device: str, channel: int,
                 export_timeout: float = EXPORT_TIMEOUT) -> None:
        chip = find_pwm_chip(sysfs_root, device)
        self.path = chip / f"pwm{channel}"
        if not self.path.is_dir():
            _write_file(chip / "export", channel)
            _wait_exported(self.path, export_timeout)
        super().__init__(f"PWM {device} channel {channel} ({self.path})")

    def _read(self, attribute: str) -> int:
        path = self.path / attribute
        return read_int(path.read_text, path, PwmError)

    def _write(self, attribute: str, value: int) -> None:
        _write_file(self.path / attribute, value)


def _write_file(path: Path, value: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, f"{value}\n".encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise PwmError(exc.errno, f"cannot write {value} to {path}: {exc.strerror}") from exc


def _wait_exported(path: Path, timeout: float) -> None:
    """The kernel creates the channel directory, then udev fixes permissions: wait for both."""
    deadline = time.monotonic() + timeout
    while True:
        if path.is_dir() and os.access(path / "period", os.W_OK):
            return
        if time.monotonic() >= deadline:
            raise PwmError(errno.ETIMEDOUT, f"exported the channel but {path} did not appear "
                                            f"(with a writable period) within {timeout} s")
        time.sleep(_POLL)
