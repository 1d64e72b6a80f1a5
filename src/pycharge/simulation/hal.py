"""The HAL on top of the simulated board: the board's exact line, PWM and IIO names.

It behaves like the kernel where a driver could get it wrong: a line or PWM channel is held by
one requester at a time (EBUSY otherwise, until it is closed or its object is collected), inputs
cannot be driven, PWM attribute writes get the sysfs checks, the fan PWM belongs to the kernel.
"""

from __future__ import annotations

import errno
import threading
import weakref
from typing import Any

from pycharge.hal.errors import AdcError, GpioError, PwmError
from pycharge.hal.pwm import PwmChannel
from pycharge.simulation import resources as res
from pycharge.simulation.board import Board


class SimGpioLine:
    """A requested line; values are logical, the board sees physical levels."""

    def __init__(self, hal: SimHal, name: str, output: bool, active_low: bool) -> None:
        self.name = name
        self._hal = hal
        self._board = hal.board
        self._output = output
        self._active_low = active_low
        self._closed = False

    def read(self) -> bool:
        self._check_open()
        return self._board.read_line(self.name) != self._active_low

    def write(self, value: bool) -> None:
        self._check_open()
        if not self._output:
            raise GpioError(errno.EPERM, f"{self.name} was requested as an input; cannot write it")
        self._board.write_line(self.name, bool(value) != self._active_low)

    def _check_open(self) -> None:
        if self._closed:
            raise GpioError(errno.EBADF, f"GPIO line {self.name} is closed")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._hal.release(("gpio", self.name), self)

    def __repr__(self) -> str:
        return f"<SimGpioLine {self.name}>"


class SimPwm(PwmChannel):
    """A PWM channel of the simulated board (sysfs rules from :class:`PwmChannel`)."""

    def __init__(self, hal: SimHal, device: str, channel: int) -> None:
        self._hal = hal
        self._key = (device, channel)
        super().__init__(f"PWM {device} channel {channel} (simulated)")

    def _read(self, attribute: str) -> int:
        return self._hal.board.pwm_read(self._key, attribute)

    def _write(self, attribute: str, value: int) -> None:
        self._hal.board.pwm_write(self._key, attribute, value)

    def _release(self) -> None:
        self._hal.release(("pwm", self._key), self)


class SimAdcChannel:
    def __init__(self, board: Board, device: str, channel: str) -> None:
        self._board = board
        self.device = device
        self.channel = channel
        self._closed = False

    def read_raw(self) -> int:
        if self._closed:
            raise AdcError(errno.EBADF, f"ADC channel {self.device}/{self.channel} is closed")
        return self._board.adc_raw(self.device, self.channel)

    def close(self) -> None:
        self._closed = True


class SimHal:
    """Implements :class:`pycharge.hal.Hal` on a :class:`Board`."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.clock = board.clock
        self._holders: dict[tuple[str, Any], weakref.ref] = {}
        self._lock = threading.Lock()

    def _claim(self, key: tuple[str, Any], holder: object, what: str) -> None:
        with self._lock:
            current = self._holders.get(key)
            if current is not None and current() is not None:
                raise OSError(errno.EBUSY, f"{what} is busy: already requested and not closed")
            self._holders[key] = weakref.ref(holder)

    def release(self, key: tuple[str, Any], holder: object) -> None:
        with self._lock:
            current = self._holders.get(key)
            if current is not None and current() is holder:
                del self._holders[key]

    def release_all(self) -> None:
        with self._lock:
            self._holders.clear()

    def _line(self, name: str, output: bool, initial: bool, active_low: bool) -> SimGpioLine:
        direction = self.board.line_direction(name)
        if output and direction != "out":
            raise GpioError(errno.EPERM, f"{name} is an input of the board; request it as input")
        line = SimGpioLine(self, name, output, active_low)
        try:
            self._claim(("gpio", name), line, f"GPIO line {name}")
        except OSError as exc:
            raise GpioError(exc.errno, exc.strerror) from None
        if output:
            line.write(initial)
        return line

    def gpio_output(self, line_name: str, initial: bool = False, active_low: bool = False
                    ) -> SimGpioLine:
        return self._line(line_name, True, initial, active_low)

    def gpio_input(self, line_name: str, active_low: bool = False) -> SimGpioLine:
        return self._line(line_name, False, False, active_low)

    def pwm(self, device: str, channel: int) -> SimPwm:
        key = (device, channel)
        if key not in res.PWM_CHANNELS:
            found = ", ".join(f"{d} channel {c}" for d, c in res.PWM_CHANNELS)
            raise PwmError(errno.ENODEV, f"no PWM {device} channel {channel} on the simulated "
                                         f"board; found: {found}")
        if key in res.KERNEL_OWNED_PWM:
            raise PwmError(errno.EBUSY, f"PWM {device} belongs to {res.KERNEL_OWNED_PWM[key]}")
        pwm = SimPwm(self, device, channel)
        try:
            self._claim(("pwm", key), pwm, f"PWM {device} channel {channel}")
        except OSError as exc:
            raise PwmError(exc.errno, exc.strerror) from None
        return pwm

    def adc(self, device: str, channel: str) -> SimAdcChannel:
        self.board.adc_raw(device, channel)  # a wrong name fails here, as opening would
        return SimAdcChannel(self.board, device, channel)
