"""The control pilot generator: PWM8 at 1 kHz plus the CP_INVERT line that drives the output stage.

100 % duty is a constant +12 V (X1 and states A/B/C as the EV loads it), 0 % a constant -12 V
(state F), anything between the 1 kHz PWM. With CP_INVERT inactive the output stage is not
driven and the line sits at 0 V (state E). Callers hold the CP lock so that a change never lands
between a peak-detector reset and its read.
"""

from __future__ import annotations

from typing import Any

CP_PERIOD_NS = 1_000_000  # 1 kHz
STATE_E_EDGE_S = 0.002    # >= one period at 100 % before releasing: a clean falling edge


class CpGenerator:
    """PWM and output-stage control; remembers the applied duty for the error checks."""

    def __init__(self, pwm: Any, cp_invert: Any) -> None:
        self._pwm = pwm
        self._invert = cp_invert
        self.driven = False
        self.duty_percent = 100.0
        if pwm.enabled:
            pwm.enabled = False
        pwm.duty_cycle_ns = min(pwm.duty_cycle_ns, CP_PERIOD_NS)
        pwm.period_ns = CP_PERIOD_NS
        pwm.set_duty_ratio(1.0)
        cp_invert.write(False)

    def set_duty(self, percent: float) -> None:
        """Apply a duty cycle and make sure the output stage drives it."""
        self._pwm.set_duty_ratio(min(max(percent / 100.0, 0.0), 1.0))
        if not self._pwm.enabled:
            self._pwm.enabled = True
        if not self.driven:
            self._invert.write(True)
            self.driven = True
        self.duty_percent = percent

    def begin_state_e(self) -> None:
        """First half of going to state E: constant +12 V, released after STATE_E_EDGE_S."""
        self.set_duty(100.0)

    def release(self) -> None:
        """Stop driving the line (0 V, state E) and disable the PWM."""
        self._invert.write(False)
        self.driven = False
        self._pwm.enabled = False

    def force_safe(self) -> None:
        """From any thread, without locks: output stage off, PWM off."""
        self._invert.write(False)
        self._pwm.enabled = False
