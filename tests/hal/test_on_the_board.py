"""The real HAL against the real Charge Control C (ptest on the board; skipped elsewhere).

Only what a running charging stack does not mind: ADC reads (each triggers a conversion) and
finding the PWM chips by device name. Nothing is switched, exported or requested.
"""

from __future__ import annotations

import pytest

from pycharge.hal.adc import IioAdcChannel
from pycharge.hal.pwm import find_pwm_chip

pytestmark = pytest.mark.hardware


@pytest.mark.parametrize("channel", ["voltage0", "voltage2", "voltage3", "voltage4", "voltage5"])
def test_the_adc_channels_are_found_by_name_and_read(channel: str) -> None:
    adc = IioAdcChannel("/sys", "2198000.adc", channel)
    try:
        assert 0 <= adc.read_raw() <= 4095  # 12 bits
    finally:
        adc.close()


@pytest.mark.parametrize("device", ["20fc000.pwm", "2084000.pwm"])
def test_the_pwm_chips_are_found_by_device_name(device: str) -> None:
    assert (find_pwm_chip("/sys", device) / "npwm").exists()
