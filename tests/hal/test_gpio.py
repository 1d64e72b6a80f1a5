"""GPIO line lookup by name. The character devices cannot be faked in a temp dir (they need the
kernel's ioctls), so the search order and error handling are tested on their own, and the
periphery call path up to the first ioctl against plain files."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from pycharge.hal.errors import GpioError
from pycharge.hal.gpio import CdevLine, consumer_label, find_line, gpio_chips, request_line
from pycharge.hal.real import RealHal


def test_chips_are_searched_in_numeric_order(tmp_path: Path) -> None:
    for name in ("gpiochip10", "gpiochip2", "gpiochip0", "gpiomem", "ttymxc0"):
        (tmp_path / name).write_text("")
    assert [Path(p).name for p in gpio_chips(tmp_path)] == ["gpiochip0", "gpiochip2", "gpiochip10"]


def test_first_chip_that_knows_the_name_wins() -> None:
    lines = {"/dev/gpiochip2": {"RELAY_1_ENABLE": 12}, "/dev/gpiochip4": {"RELAY_1_ENABLE": 99}}
    tried = []

    def open_on(chip: str) -> tuple[str, int]:
        tried.append(chip)
        if "RELAY_1_ENABLE" not in lines.get(chip, {}):
            raise LookupError("not on this chip")
        return chip, lines[chip]["RELAY_1_ENABLE"]

    chips = ["/dev/gpiochip0", "/dev/gpiochip1", "/dev/gpiochip2", "/dev/gpiochip4"]
    assert find_line("RELAY_1_ENABLE", chips, open_on) == ("/dev/gpiochip2", 12)
    assert tried == chips[:3]


def test_unknown_line_names_the_chips_searched() -> None:
    def nowhere(chip: str) -> None:
        raise LookupError(chip)

    with pytest.raises(GpioError) as raised:
        find_line("RELAY_9_ENABLE", ["/dev/gpiochip0", "/dev/gpiochip1"], nowhere)
    assert raised.value.errno == errno.ENOENT
    assert str(raised.value) == ("[Errno 2] no GPIO line named 'RELAY_9_ENABLE'; "
                                 "searched: /dev/gpiochip0, /dev/gpiochip1")


def test_other_errors_stop_the_search() -> None:
    def busy(chip: str) -> None:
        raise GpioError(errno.EBUSY, f"line busy on {chip}")

    with pytest.raises(GpioError, match="busy on /dev/gpiochip0"):
        find_line("CP_INVERT", ["/dev/gpiochip0", "/dev/gpiochip1"], busy)


def test_no_chips_at_all(tmp_path: Path) -> None:
    with pytest.raises(GpioError, match=r"no /dev/gpiochip\* found"):
        RealHal(dev_root=tmp_path).gpio_input("DIGITAL_IN_2")


def test_periphery_errors_become_gpio_errors_naming_line_and_chip(tmp_path: Path) -> None:
    (tmp_path / "gpiochip0").write_text("")  # a plain file: periphery's chip-info ioctl fails
    with pytest.raises(GpioError) as raised:
        request_line("CP_INVERT", tmp_path, "out", False, False, "pycharge")
    assert raised.value.errno == errno.ENOTTY
    assert "'CP_INVERT' on " + str(tmp_path / "gpiochip0") in str(raised.value)


def test_consumer_label_has_no_slash() -> None:
    assert consumer_label("R1/S1") == "R1-S1"


class Recorder:
    def __init__(self) -> None:
        self.value = False
        self.closed = 0

    def read(self) -> bool:
        return self.value

    def write(self, value: bool) -> None:
        assert isinstance(value, bool)  # periphery refuses anything else
        self.value = value

    def close(self) -> None:
        self.closed += 1


def test_line_passes_booleans_and_closes_once() -> None:
    gpio = Recorder()
    line = CdevLine("RELAY_1_ENABLE", gpio)
    line.write(1)  # type: ignore[arg-type]
    assert line.read() is True
    line.close()
    line.close()
    assert gpio.closed == 1
