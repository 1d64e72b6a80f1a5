"""GPIO lines by device-tree line name on the GPIO character devices (python-periphery).

Like chargebyte's helper, the first ``/dev/gpiochip*`` that knows the name wins. periphery 2.x
(``Cdev2GPIO``/``Cdev1GPIO``) accepts a line name per chip and raises ``LookupError`` when that
chip has no such line, so the search is: try each chip in numeric order.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pycharge.hal.errors import GpioError

T = TypeVar("T")
_CHIP = re.compile(r"^gpiochip(\d+)$")


def gpio_chips(dev_root: str | Path) -> list[str]:
    """Paths of the GPIO character devices under ``dev_root``, gpiochip0 first."""
    found = []
    for entry in Path(dev_root).iterdir() if Path(dev_root).is_dir() else []:
        match = _CHIP.match(entry.name)
        if match:
            found.append((int(match.group(1)), str(entry)))
    return [path for _, path in sorted(found)]


def find_line(name: str, chips: list[str], open_on: Callable[[str], T]) -> T:
    """Open line ``name`` on the first chip that has it; ``open_on(chip)`` raises LookupError if not."""
    for chip in chips:
        try:
            return open_on(chip)
        except LookupError:
            continue
    where = ", ".join(chips) if chips else "no /dev/gpiochip* found"
    raise GpioError(errno.ENOENT, f"no GPIO line named {name!r}; searched: {where}")


def consumer_label(label: str) -> str:
    """The kernel warns about '/' in consumer labels; chargebyte replaces it with '-'."""
    return label.replace("/", "-")


class CdevLine:
    """A requested line; ``read``/``write`` are logical values (the kernel applies active-low)."""

    def __init__(self, name: str, gpio: Any) -> None:
        self.name = name
        self._gpio = gpio

    def read(self) -> bool:
        return bool(self._gpio.read())

    def write(self, value: bool) -> None:
        self._gpio.write(bool(value))

    def close(self) -> None:
        if self._gpio is not None:
            self._gpio.close()
            self._gpio = None

    def __repr__(self) -> str:
        return f"<CdevLine {self.name}>"


def request_line(name: str, dev_root: str | Path, direction: str, initial: bool, active_low: bool,
                 label: str) -> CdevLine:
    """Request ``name`` as ``direction`` ("in"/"out") with a logical ``initial`` output value."""
    from periphery import GPIO, GPIOError

    # periphery's "high"/"low" are physical levels; it applies active-low (``inverted``) itself.
    mode = direction if direction == "in" else ("high" if initial != active_low else "low")

    def open_on(chip: str) -> Any:
        try:
            return GPIO(chip, name, mode, inverted=active_low, label=consumer_label(label))
        except GPIOError as exc:
            raise GpioError(exc.errno, f"GPIO line {name!r} on {chip}: {exc.strerror or exc}") \
                from exc

    return CdevLine(name, find_line(name, gpio_chips(dev_root), open_on))
