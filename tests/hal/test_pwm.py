"""PWM by device name over a fake sysfs tree, and the rules every PWM channel follows."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from pycharge.hal.errors import HalError, PwmError
from pycharge.hal.pwm import PwmChannel, SysfsPwm, find_pwm_chip
from tests.hal.conftest import FakeExporter, add_pwm_channel


def attr(sysfs: Path, chip: int, name: str) -> str:
    return (sysfs / "class" / "pwm" / f"pwmchip{chip}" / "pwm0" / name).read_text().strip()


def test_chip_is_found_by_the_device_link_not_by_number(sysfs: Path) -> None:
    assert find_pwm_chip(sysfs, "20fc000.pwm").name == "pwmchip2"
    assert find_pwm_chip(sysfs, "2084000.pwm").name == "pwmchip0"


def test_unknown_device_names_what_exists(sysfs: Path) -> None:
    with pytest.raises(PwmError) as raised:
        find_pwm_chip(sysfs, "2080000.pwm")
    assert raised.value.errno == errno.ENODEV
    message = str(raised.value)
    assert "2080000.pwm" in message
    assert "2084000.pwm (pwmchip0)" in message and "20fc000.pwm (pwmchip2)" in message
    assert isinstance(raised.value, OSError) and isinstance(raised.value, HalError)


def test_channel_is_exported_on_demand_and_waited_for(sysfs: Path, exporter: FakeExporter
                                                      ) -> None:
    pwm = SysfsPwm(sysfs, "20fc000.pwm", 0)
    assert exporter.exported.is_set()
    assert (sysfs / "class/pwm/pwmchip2/export").read_text() == "0\n"
    assert pwm.period_ns == 0 and not pwm.enabled
    pwm.period_ns = 1_000_000
    pwm.set_duty_ratio(0.25)
    pwm.enabled = True
    assert (attr(sysfs, 2, "period"), attr(sysfs, 2, "duty_cycle"), attr(sysfs, 2, "enable")) == \
        ("1000000", "250000", "1")


def test_an_exported_channel_is_not_exported_again(sysfs: Path) -> None:
    add_pwm_channel(sysfs / "class/pwm/pwmchip0", 0, period=40000, duty=20000, enable=1)
    pwm = SysfsPwm(sysfs, "2084000.pwm", 0)
    assert (sysfs / "class/pwm/pwmchip0/export").read_text() == ""
    assert (pwm.period_ns, pwm.duty_cycle_ns, pwm.enabled) == (40000, 20000, True)


def test_export_that_never_appears_times_out_naming_the_path(sysfs: Path) -> None:
    with pytest.raises(PwmError) as raised:
        SysfsPwm(sysfs, "20fc000.pwm", 0, export_timeout=0.05)
    assert raised.value.errno == errno.ETIMEDOUT
    assert "pwmchip2/pwm0" in str(raised.value)


def test_garbage_in_an_attribute_is_an_error(sysfs: Path) -> None:
    channel = add_pwm_channel(sysfs / "class/pwm/pwmchip0", 0)
    (channel / "period").write_text("lots\n")
    with pytest.raises(PwmError, match="not an integer"):
        SysfsPwm(sysfs, "2084000.pwm", 0)


def test_close_disables_an_enabled_output(sysfs: Path) -> None:
    add_pwm_channel(sysfs / "class/pwm/pwmchip0", 0, period=40000, duty=20000, enable=1)
    pwm = SysfsPwm(sysfs, "2084000.pwm", 0)
    pwm.close()
    assert attr(sysfs, 0, "enable") == "0"


class StrictChannel(PwmChannel):
    """An attribute store that refuses what the kernel refuses, recording every write."""

    def __init__(self, period: int, duty: int) -> None:
        self.attrs = {"period": period, "duty_cycle": duty, "enable": 0}
        self.writes: list[tuple[str, int]] = []
        super().__init__("strict")

    def _read(self, attribute: str) -> int:
        return self.attrs[attribute]

    def _write(self, attribute: str, value: int) -> None:
        period = value if attribute == "period" else self.attrs["period"]
        duty = value if attribute == "duty_cycle" else self.attrs["duty_cycle"]
        if duty > period:
            raise PwmError(errno.EINVAL, f"{attribute}={value} refused")
        self.writes.append((attribute, value))
        self.attrs[attribute] = value


def test_a_shorter_period_lowers_the_duty_first() -> None:
    pwm = StrictChannel(period=1_000_000, duty=900_000)
    pwm.period_ns = 40_000
    assert pwm.writes == [("duty_cycle", 40_000), ("period", 40_000)]
    assert (pwm.period_ns, pwm.duty_cycle_ns) == (40_000, 40_000)


def test_a_longer_period_leaves_the_duty_alone() -> None:
    pwm = StrictChannel(period=40_000, duty=20_000)
    pwm.period_ns = 1_000_000
    assert pwm.writes == [("period", 1_000_000)]


def test_duty_ratio_is_clamped_and_duty_above_period_refused() -> None:
    pwm = StrictChannel(period=1_000_000, duty=0)
    pwm.set_duty_ratio(1.7)
    assert pwm.duty_cycle_ns == 1_000_000
    pwm.set_duty_ratio(-0.2)
    assert pwm.duty_cycle_ns == 0
    pwm.set_duty_ratio(0.2667)
    assert pwm.duty_cycle_ns == 266_700
    with pytest.raises(PwmError) as raised:
        pwm.duty_cycle_ns = 1_000_001
    assert raised.value.errno == errno.EINVAL
    with pytest.raises(PwmError):
        pwm.period_ns = 0
