"""CbTarragonDIs: the comparator reference of Charge Control C's six digital inputs.

All six inputs compare against one reference voltage, 0 to 12 V, made from PWM2 at 25 kHz:
duty = threshold / 12 V. It is set once at start and stays on while the module runs; the
inputs themselves are plain GPIO lines read by whoever needs them (the RCM input, for one).
"""

from __future__ import annotations

from typing import Any

from pycharge.runtime.module import Module

PERIOD_NS = 40_000  # 25 kHz
FULL_SCALE_MV = 12_000


def duty_ns(threshold_mv: int) -> int:
    """chargebyte's integer formula: 6000 mV -> 20000 ns (50 %)."""
    return threshold_mv * PERIOD_NS // FULL_SCALE_MV


class CbTarragonDIs(Module):
    uses_hal = True

    def init(self) -> None:
        device, channel = self.config["pwm_device"], self.config["pwmchannel"]
        self.pwm: Any = self.hardware(self.hal.pwm(device, channel))
        self.pwm.period_ns = PERIOD_NS
        self.pwm.duty_cycle_ns = duty_ns(self.config["threshold_voltage"])
        self.pwm.enabled = True
        self.log.info("Enabled digital input reference PWM %s, channel %d with period %d and "
                      "duty cycle %d", device, channel, PERIOD_NS, self.pwm.duty_cycle_ns)
