"""DIG_IN_1..6 (lines DIGITAL_IN_1..6): comparators against one reference set by PWM2.

The reference is ``2084000.pwm`` channel 0 filtered to 0…12 V (duty x 12 V); an input reads
active while its voltage is above the reference. With the reference PWM off the threshold is
0 V, so an input at 0 V still reads inactive.
"""

from __future__ import annotations

FULL_SCALE_V = 12.0
INPUTS = range(1, 7)


def threshold_v(enabled: bool, period_ns: int, duty_ns: int) -> float:
    if not enabled or period_ns <= 0:
        return 0.0
    return FULL_SCALE_V * duty_ns / period_ns
