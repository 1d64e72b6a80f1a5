"""The control pilot: the EVSE's ±12 V generator through 1 kΩ, the EV's load, the peak detectors.

The generator is PWM8 (``20fc000.pwm``) switching the line between the high and the low rail;
``CP_INVERT`` enables the output stage, and an undriven line sits near 0 V. The EV loads the
positive half through its diode with 2.74 kΩ (B), in parallel 1.3 kΩ (C) or 270 Ω (D); the
negative half is blocked by the diode unless it is shorted. Each peak detector holds the extreme
of the line since its reset was released, charging towards it with a short time constant, so a
read too soon after the reset is not yet valid.

The rail voltages, diode drop and detector rest level are fitted to the values chargebyte's user
guide logs on a real board (state A 11.956 V, B 8.919 V, C 5.900 V, PWM low -11.615 V, an idle
negative detector 55…65 mV); see ``CpElectrics``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

R_SOURCE = 1000.0
R_EV_B = 2740.0
R_EV_C = 1300.0
R_EV_D = 270.0


def parallel(a: float, b: float) -> float:
    return a * b / (a + b)


EV_LOAD_OHM = {"B": R_EV_B, "C": parallel(R_EV_B, R_EV_C), "D": parallel(R_EV_B, R_EV_D)}


@dataclass(frozen=True)
class CpElectrics:
    """Fitted electrical parameters (volts, seconds)."""

    high_v: float = 11.95
    low_v: float = -11.62
    diode_drop_v: float = 0.58
    detector_rest_v: float = 0.06
    detector_tau_s: float = 0.0002


def line_voltage(generator_v: float, load_ohm: float | None, diode_short: bool,
                 electrics: CpElectrics) -> float:
    """The CP line voltage while the generator outputs ``generator_v``."""
    if load_ohm is None:
        return generator_v
    divider = load_ohm / (load_ohm + R_SOURCE)
    if generator_v > 0:
        drop = 0.0 if diode_short else electrics.diode_drop_v
        if generator_v <= drop:
            return generator_v
        return drop + (generator_v - drop) * divider
    if diode_short:
        return generator_v * divider
    return generator_v  # the EV's diode blocks the negative half


def line_levels(driven: bool, pwm_ratio: float | None, load_ohm: float | None, diode_short: bool,
                shorted: bool, electrics: CpElectrics) -> tuple[float, ...]:
    """Every voltage the line takes during one PWM period.

    ``pwm_ratio`` is the PWM output's duty (None when the PWM is disabled: its pin is low).
    ``shorted`` is CP tied to PE (by the EV in state E, or a fault): the line is at 0 V.
    """
    if not driven or shorted:
        return (0.0,)
    rails = []
    if pwm_ratio is not None and pwm_ratio > 0:
        rails.append(electrics.high_v)
    if pwm_ratio is None or pwm_ratio < 1:
        rails.append(electrics.low_v)
    return tuple(line_voltage(v, load_ohm, diode_short, electrics) for v in rails)


class PeakDetector:
    """The positive (``sign`` +1) or negative (``sign`` -1) peak detector with its reset line."""

    def __init__(self, sign: int, electrics: CpElectrics) -> None:
        self.sign = sign
        self.electrics = electrics
        self.in_reset = False
        self.released_at = -math.inf
        self.peak = electrics.detector_rest_v

    def _extreme(self, levels: tuple[float, ...]) -> float:
        rest = self.electrics.detector_rest_v
        return max(rest, *levels) if self.sign > 0 else min(rest, *levels)

    def set_reset(self, asserted: bool, now: float, levels: tuple[float, ...]) -> None:
        if asserted:
            self.in_reset = True
            self.peak = self.electrics.detector_rest_v
        elif self.in_reset:
            self.in_reset = False
            self.released_at = now
            self.peak = self._extreme(levels)

    def observe(self, levels: tuple[float, ...]) -> None:
        """The line changed: a held peak only grows (in the detector's direction)."""
        if self.in_reset:
            return
        extreme = self._extreme(levels)
        if (extreme - self.peak) * self.sign > 0:
            self.peak = extreme

    def output(self, now: float) -> float:
        """The detector's voltage in CP terms (what the ADC chain maps back to)."""
        rest = self.electrics.detector_rest_v
        if self.in_reset:
            return rest
        settled = 1.0 - math.exp(-(now - self.released_at) / self.electrics.detector_tau_s)
        return rest + (self.peak - rest) * settled
