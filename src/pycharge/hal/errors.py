"""HAL errors: OSError subclasses (like python-periphery's), each naming what was looked for.

A missing line, chip or ADC channel on the board is a configuration problem people must fix;
the message says what was asked for and what the board has instead.
"""

from __future__ import annotations


class HalError(OSError):
    """Base of every hardware-access error; ``errno`` is set where the system gave one."""


class GpioError(HalError):
    """A GPIO line could not be found, requested, read or written."""


class PwmError(HalError):
    """A PWM chip or channel could not be found, exported or written."""


class AdcError(HalError):
    """An IIO ADC device or channel could not be found or read."""
