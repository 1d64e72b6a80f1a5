"""Control pilot signal processing: ADC counts to volts, volts to IEC 61851 states, debouncing.

Pure functions and small value objects, no hardware: the sampling loop feeds them and the unit
tests check them against chargebyte's own test vectors and boundary cases (chargebyte.md §4.5-4.7).
All voltages are integer millivolts computed with C's truncating integer maths, so thresholds
fall exactly where they fall in chargebyte's C++ driver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CpState(str, enum.Enum):
    """A control pilot state as measured on one side or combined; values are EVerest's names."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"
    PILOT_FAULT = "PilotFault"


A, B, C, D, E, F, PF = (CpState.A, CpState.B, CpState.C, CpState.D, CpState.E, CpState.F,
                        CpState.PILOT_FAULT)

# Error thresholds of chargebyte's CPUtils (mV).
CP_STATE_D_LOWER_THRESHOLD = 2000
CP_ERROR_VOLTAGE_MAX_DIFF = 1200
VENTILATION_NEGATIVE_LIMIT = -10000


def _c_div(numerator: int, denominator: int) -> int:
    """Integer division that truncates towards zero, like C (Python's // floors)."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def adc_to_cp_mv(raw: int) -> int:
    """Peak-detector ADC counts (12 bit, 3.3 V reference) to the CP voltage in mV.

    chargebyte's transfer function fitted from circuit simulation: U_CP = U_ADC x 4561/476 - 16013.
    """
    u_adc_mv = _c_div(raw * 3300, 4095)
    return _c_div(u_adc_mv * 4561, 476) - 16013


# The state table of chargebyte's CPUtils: (lowest mV of the band, state, previous states that
# keep the state of the band above instead: the hysteresis). Checked from the top, first match.
_BANDS: tuple[tuple[int, CpState, frozenset[CpState]], ...] = (
    (13001, PF, frozenset()),
    (11000, A, frozenset()),
    (10000, B, frozenset({A})),
    (8000, B, frozenset()),
    (7000, C, frozenset({A, B})),
    (5000, C, frozenset()),
    (4000, D, frozenset({A, B, C})),
    (CP_STATE_D_LOWER_THRESHOLD, D, frozenset()),
    (-1000, E, frozenset()),
    (-2000, PF, frozenset({A, B, C, D, E})),  # non-standard band, E only coming from above
    (-10000, PF, frozenset()),
    (-11000, PF, frozenset({F})),             # non-standard band, F only coming from below
    (-13000, F, frozenset()),
)
# What a hysteresis band yields for a "sticky" previous state.
_STICKY = {10000: A, 7000: B, 4000: C, -2000: E, -11000: F}


def classify(mv: int, previous: CpState | None) -> CpState:
    """One side's voltage to a state; ``previous`` (that side's last raw result) gives hysteresis."""
    for lowest, state, sticky in _BANDS:
        if mv >= lowest:
            return _STICKY[lowest] if previous in sticky else state
    return PF


@dataclass
class SideDebouncer:
    """Two-sample debounce of one peak detector's classification.

    A state is accepted when two consecutive samples agree (about 8 ms at full rate); a single
    deviating sample between two equal ones (A, B, A) is a blip and is reported as suppressed.
    """

    t0: CpState | None = None        # classification two samples ago
    t1: CpState | None = None        # previous classification (also the hysteresis input)
    detected: CpState | None = None  # debounced state

    def update(self, new: CpState) -> tuple[bool, bool]:
        """Feed one classification; return (changed, suppressed_blip)."""
        changed = new == self.t1 and new != self.detected
        if changed:
            self.detected = new
        suppressed = new == self.t0 and new != self.t1
        self.t0, self.t1 = self.t1, new
        return changed, suppressed


def combine(positive: CpState | None, negative: CpState | None, driven: bool) -> CpState:
    """The CP state of both debounced sides; an undriven (floating) line counts as E."""
    if not driven or positive is None:
        return E
    if PF in (positive, negative):
        return PF
    if positive == E and negative == F:
        return F
    return positive


def duty_is_nominal(duty_percent: float) -> bool:
    """A real PWM (not a constant level): the negative side then follows the EV's diode."""
    return 0 < duty_percent < 100


def cp_short(u_pos: int, u_neg: int, duty_percent: float) -> bool:
    """CP shorted to PE: no positive level, and no independent negative level either."""
    if u_pos >= CP_STATE_D_LOWER_THRESHOLD:
        return False
    if duty_is_nominal(duty_percent):
        return abs(u_pos + u_neg) <= CP_ERROR_VOLTAGE_MAX_DIFF
    return u_neg > VENTILATION_NEGATIVE_LIMIT


def diode_fault(u_pos: int, u_neg: int, duty_percent: float, state: CpState) -> bool:
    """EV connected without its diode: the negative half mirrors the positive one."""
    return (duty_is_nominal(duty_percent) and u_pos > CP_STATE_D_LOWER_THRESHOLD and state != A
            and abs(u_pos + u_neg) <= CP_ERROR_VOLTAGE_MAX_DIFF)


def ventilation_requested(state: CpState, u_neg: int) -> bool:
    """State D with a real negative level: the EV wants ventilation, which the board lacks."""
    return state == D and u_neg <= VENTILATION_NEGATIVE_LIMIT


@dataclass(frozen=True)
class CpVerdict:
    """Combined state and error conditions of one evaluation (on a change of either side)."""

    state: CpState
    short: bool
    diode: bool
    out_of_range: bool
    ventilation: bool
    driven: bool = True  # the CP generator drove the line during the measurement

    @property
    def faulty(self) -> bool:
        """Any condition under which the relays must be open."""
        return self.short or self.diode or self.out_of_range or self.ventilation


def evaluate(positive: CpState | None, negative: CpState | None, driven: bool, u_pos: int,
             u_neg: int, duty_percent: float, diode_latched: bool) -> CpVerdict:
    """Combine both sides and run chargebyte's error checks (only while the CP is driven).

    ``diode_latched`` is whether a diode fault is already active: it stays until the state is A.
    """
    state = combine(positive, negative, driven)
    if not driven:
        return CpVerdict(state, False, False, False, False, driven=False)
    short = cp_short(u_pos, u_neg, duty_percent)
    if short:
        state = E
    diode = state != A and (diode_latched or diode_fault(u_pos, u_neg, duty_percent, state))
    return CpVerdict(state, short, diode, state == PF and not diode,
                     ventilation_requested(state, u_neg))
