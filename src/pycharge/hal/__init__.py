"""Hardware access, the same small classes on the board and in simulation.

A module with ``uses_hal = True`` receives an object with this shape as ``self.hal``:
``RealHal`` (python-periphery and sysfs, see ``real.py``) on the board, the simulated board's
HAL (``pycharge.simulation.hal.SimHal``) under ``pycharge run --sim``. Driver code never knows
which one it talks to. Both raise the OSError subclasses of ``errors.py``, whose messages name
what was looked for and what exists.
"""

from __future__ import annotations

from typing import Protocol

from pycharge.runtime.clock import Clock


class GpioLine(Protocol):
    """One GPIO line, found by its device-tree line name; values are logical (True = active)."""

    name: str

    def read(self) -> bool: ...
    def write(self, value: bool) -> None: ...
    def close(self) -> None: ...


class Pwm(Protocol):
    """One PWM channel of a chip found by its device name (e.g. ``20fc000.pwm``)."""

    period_ns: int
    duty_cycle_ns: int
    enabled: bool

    def set_duty_ratio(self, ratio: float) -> None: ...
    def close(self) -> None: ...


class AdcChannel(Protocol):
    """One IIO ADC channel (e.g. ``voltage2`` of ``2198000.adc``); raw counts as the ADC gives them."""

    def read_raw(self) -> int: ...
    def close(self) -> None: ...


class Hal(Protocol):
    """The board, as the driver modules see it."""

    clock: Clock

    def gpio_output(self, line_name: str, initial: bool = False, active_low: bool = False
                    ) -> GpioLine: ...
    def gpio_input(self, line_name: str, active_low: bool = False) -> GpioLine: ...
    def pwm(self, device: str, channel: int) -> Pwm: ...
    def adc(self, device: str, channel: str) -> AdcChannel: ...
