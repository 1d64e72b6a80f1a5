"""The board's hardware: GPIO character devices, sysfs PWM and IIO ADC, found by name.

Roots are parameters so tests can point the sysfs parts at a tree built in a temp dir.
"""

from __future__ import annotations

from pathlib import Path

from pycharge.hal.adc import IioAdcChannel
from pycharge.hal.gpio import CdevLine, request_line
from pycharge.hal.pwm import SysfsPwm
from pycharge.runtime.clock import Clock, RealClock


class RealHal:
    """Implements :class:`pycharge.hal.Hal` on Charge Control C (or any Linux board)."""

    def __init__(self, sysfs_root: str | Path = "/sys", dev_root: str | Path = "/dev",
                 clock: Clock | None = None, consumer: str = "pycharge") -> None:
        self.sysfs_root = Path(sysfs_root)
        self.dev_root = Path(dev_root)
        self.clock: Clock = clock or RealClock()
        self.consumer = consumer

    def gpio_output(self, line_name: str, initial: bool = False, active_low: bool = False
                    ) -> CdevLine:
        return request_line(line_name, self.dev_root, "out", initial, active_low, self.consumer)

    def gpio_input(self, line_name: str, active_low: bool = False) -> CdevLine:
        return request_line(line_name, self.dev_root, "in", False, active_low, self.consumer)

    def pwm(self, device: str, channel: int) -> SysfsPwm:
        return SysfsPwm(self.sysfs_root, device, channel)

    def adc(self, device: str, channel: str) -> IioAdcChannel:
        return IioAdcChannel(self.sysfs_root, device, channel)
