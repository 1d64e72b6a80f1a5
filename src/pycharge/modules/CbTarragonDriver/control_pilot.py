"""Measuring the control pilot with the board's two peak detectors (chargebyte.md §4.5-4.7).

One measurement: reset both detectors for 1.5 ms, release them, let them settle for 2 ms, read
the positive then the negative ADC channel. These waits are ``hal.clock.tick`` calls: on the
board they sleep, in simulation they are what moves simulated time. The readings go through
the pure functions of ``cp_signal``: conversion, classification with hysteresis, the two-sample
debounce per side, then (only when a side changed) the combined state and its error checks.
"""

from __future__ import annotations

import logging
from typing import Any

from pycharge.modules.CbTarragonDriver.cp_signal import (
    CpVerdict,
    SideDebouncer,
    adc_to_cp_mv,
    classify,
    evaluate,
)

RESET_HOLD_S = 0.0015  # peak detector reset pulse (hardware needs >= 1.5 ms incl. margin)
SETTLE_S = 0.002       # the detectors' output is invalid this long after a reset
MEASUREMENT_S = RESET_HOLD_S + SETTLE_S


class ControlPilot:
    """Peak-detector measurement and the debounced view of both sides."""

    def __init__(self, clock: Any, positive_reset: Any, negative_reset: Any,
                 positive_adc: Any, negative_adc: Any, log: logging.Logger) -> None:
        self._clock = clock
        self._resets = (positive_reset, negative_reset)
        self._adcs = (positive_adc, negative_adc)
        self._log = log
        self.positive = SideDebouncer()
        self.negative = SideDebouncer()
        self.verdict: CpVerdict | None = None
        self.u_pos = 0
        self.u_neg = 0
        for line in self._resets:
            line.write(False)

    @property
    def settling(self) -> bool:
        """A side saw a new state that is not confirmed yet."""
        return any(side.t1 != side.detected for side in (self.positive, self.negative))

    def measure(self, hold_s: float = 0.0) -> tuple[int, int]:
        """One reset-settle-read cycle of both detectors; the CP voltages in mV. With
        ``hold_s``, the detectors hold the CP's extremes that much longer before the read."""
        for line in self._resets:
            line.write(True)
        self._clock.tick(RESET_HOLD_S)
        for line in self._resets:
            line.write(False)
        self._clock.tick(SETTLE_S + hold_s)
        self.u_pos = adc_to_cp_mv(self._adcs[0].read_raw())
        self.u_neg = adc_to_cp_mv(self._adcs[1].read_raw())
        return self.u_pos, self.u_neg

    def observe(self, driven: bool, duty_percent: float) -> CpVerdict | None:
        """Debounce the last measurement; a new verdict when either side changed, else None."""
        pos_changed = self._side(self.positive, self.u_pos, "positive", driven)
        neg_changed = self._side(self.negative, self.u_neg, "negative", driven)
        if not (pos_changed or neg_changed):
            return None
        latched = self.verdict is not None and self.verdict.diode
        self.verdict = evaluate(self.positive.detected, self.negative.detected, driven,
                                self.u_pos, self.u_neg, duty_percent, latched)
        return self.verdict

    def _side(self, side: SideDebouncer, mv: int, name: str, driven: bool) -> bool:
        new = classify(mv, side.t1)
        changed, suppressed = side.update(new)
        if suppressed and side.t0 is not None:
            self._log.log(logging.WARNING if driven else logging.DEBUG,
                          "suppressed a one-sample %s on the %s side (now %d mV)", side.t0.value,
                          name, mv)
        return changed
