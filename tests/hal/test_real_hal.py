"""RealHal over a fake sysfs tree: the names the driver modules use."""

from __future__ import annotations

from pathlib import Path

from pycharge.hal.real import RealHal
from pycharge.runtime.clock import RealClock
from tests.hal.conftest import FakeExporter


def test_cp_pwm_and_adc_by_their_board_names(sysfs: Path, exporter: FakeExporter) -> None:
    hal = RealHal(sysfs_root=sysfs, dev_root=sysfs / "no-dev")
    assert isinstance(hal.clock, RealClock)
    pwm = hal.pwm("20fc000.pwm", 0)
    pwm.period_ns = 1_000_000
    pwm.set_duty_ratio(1.0)
    pwm.enabled = True
    assert (sysfs / "class/pwm/pwmchip2/pwm0/duty_cycle").read_text() == "1000000\n"
    positive = hal.adc("2198000.adc", "voltage2")
    assert positive.read_raw() == 200
    pwm.close()
    positive.close()
    assert (sysfs / "class/pwm/pwmchip2/pwm0/enable").read_text() == "0\n"
