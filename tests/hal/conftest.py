"""A fake sysfs tree in a temp dir, laid out like Charge Control C's (chargebyte.md §1.3)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def add_pwm_chip(sysfs: Path, number: int, device: str, exported: tuple[int, ...] = ()) -> Path:
    """``class/pwm/pwmchipN`` with its ``device`` link (relative, as the kernel makes it)."""
    target = sysfs / "devices" / "platform" / "soc" / device
    target.mkdir(parents=True, exist_ok=True)
    chip = sysfs / "class" / "pwm" / f"pwmchip{number}"
    chip.mkdir(parents=True)
    os.symlink(os.path.relpath(target, chip), chip / "device")
    (chip / "export").write_text("")
    (chip / "npwm").write_text("1\n")
    for channel in exported:
        add_pwm_channel(chip, channel)
    return chip


def add_pwm_channel(chip: Path, channel: int, period: int = 0, duty: int = 0, enable: int = 0
                    ) -> Path:
    """The channel directory appears whole, as the kernel's does (built aside, then renamed)."""
    building = chip / f".pwm{channel}.building"
    building.mkdir()
    for name, value in (("period", period), ("duty_cycle", duty), ("enable", enable),
                        ("polarity", "normal")):
        (building / name).write_text(f"{value}\n")
    return building.rename(chip / f"pwm{channel}")


def add_iio_device(sysfs: Path, number: int, name: str, channels: dict[str, int]) -> Path:
    device = sysfs / "bus" / "iio" / "devices" / f"iio:device{number}"
    device.mkdir(parents=True)
    (device / "name").write_text(f"{name}\n")
    (device / "in_voltage_scale").write_text("0.805664062\n")
    for channel, raw in channels.items():
        (device / f"in_{channel}_raw").write_text(f"{raw}\n")
    return device


class FakeExporter:
    """Plays the kernel's part of ``export``: the channel directory appears a little later."""

    def __init__(self, chip: Path) -> None:
        self.chip = chip
        self.exported = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            text = (self.chip / "export").read_text().strip()
            if text:
                self._stop.wait(0.02)  # the kernel and udev take a moment
                add_pwm_channel(self.chip, int(text), period=0)
                self.exported.set()
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    """The board's PWM chips (fan, DI reference, CP) and IIO devices (accelerometer, ADC)."""
    root = tmp_path / "sys"
    add_pwm_chip(root, 0, "2084000.pwm")
    add_pwm_chip(root, 1, "20f8000.pwm", exported=(0,))
    add_pwm_chip(root, 2, "20fc000.pwm")
    add_iio_device(root, 0, "iis328dq", {"accel_x": 12})
    add_iio_device(root, 1, "2198000.adc", {f"voltage{n}": 100 * n for n in range(6)})
    return root


@pytest.fixture
def exporter(sysfs: Path) -> Iterator[FakeExporter]:
    """The kernel side of exporting the CP PWM (``20fc000.pwm`` is pwmchip2)."""
    fake = FakeExporter(sysfs / "class" / "pwm" / "pwmchip2")
    yield fake
    fake.stop()
