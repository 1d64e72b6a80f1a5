"""Control pilot duty cycle and current, both ways (IEC 61851-1 Annex A), and the 5 s rule.

The EVSE announces the current it offers with the duty cycle of the 1 kHz control pilot PWM.
``ampere_to_duty_percent`` is what the EVSE writes (EVerest's ``ampere_to_duty_cycle``, in
percent because the board takes percent); ``duty_percent_to_ampere`` is what the EV reads.
An EV needs up to 5 s to follow a new duty cycle, so the charger changes it at most every 5 s,
except to stop (X1), which is always immediate.
"""

from __future__ import annotations

from typing import Protocol

X1_PERCENT = 100.0  # constant +12 V: no PWM, the EV must not charge
F_PERCENT = 0.0  # constant -12 V: state F
PWM_MAX_UPDATE_INTERVAL_S = 5.0  # IEC 61851-1: EV response time to a duty change
# The board applies a duty some time after we send it (bus, its module thread, and up to one
# idle CP sample of CbTarragonDriver, 200 ms, during which it holds the CP), and not always
# equally late: counted from our sending alone, two changes could land < 5 s apart on the CP.
BOARD_LATENCY_MARGIN_S = 0.5


def ampere_to_duty_percent(ampere: float) -> float:
    """The duty cycle that offers ``ampere``; 100 % (no charging) outside 5.9 A ... 80.1 A."""
    if ampere < 5.9:
        return X1_PERCENT
    if ampere <= 6.1:
        return 10.0
    if ampere < 52.5:
        return min(ampere, 51.0) / 0.6  # 51 A ... 52.5 A has no duty cycle of its own
    if ampere <= 80.0:
        return ampere / 2.5 + 64.0
    if ampere <= 80.1:
        return 97.0
    return X1_PERCENT


def duty_percent_to_ampere(duty: float) -> float:
    """The current an EV may draw at ``duty`` percent; 0 where the EV must not charge.

    8 % ... 10 % means 6 A (IEC 61851-1 Table A.8); 3 % ... 7 % asks for high-level
    communication, which basic charging treats as no current.
    """
    if duty < 8.0 or duty > 97.0:
        return 0.0
    if duty < 10.0:
        return 6.0
    if duty <= 85.0:
        return duty * 0.6
    if duty <= 96.0:
        return (duty - 64.0) * 2.5
    return 80.0


class PilotSink(Protocol):
    """Where the duty cycle goes: the IEC 61851 layer, which tells the board."""

    def set_pwm(self, percent: float) -> None: ...
    def set_x1(self) -> None: ...
    def set_f(self) -> None: ...


class PilotOutput:
    """The charger's view of the control pilot: last duty sent, when, and for which current.

    ``ampere`` is the current signalled to the EV, which soft over-current checking compares
    against (EVerest#762: not the internal limit, which may run up to 5 s ahead of the PWM).
    """

    def __init__(self, sink: PilotSink) -> None:
        self._sink = sink
        self.duty = X1_PERCENT
        self.ampere = 0.0
        self.running = False
        self.changed_at = float("-inf")
        self.f_active = False

    def pwm_now(self, duty: float, now: float, ampere: float = 0.0) -> None:
        """Send ``duty`` at once."""
        self.duty, self.ampere, self.changed_at = duty, ampere, now
        self.running = True
        self.f_active = False
        self._sink.set_pwm(duty)

    def pwm_if_changed(self, ampere: float, now: float) -> None:
        """Offer ``ampere`` at once if that changes the duty cycle (entering a state)."""
        duty = ampere_to_duty_percent(ampere)
        if duty != self.duty:
            self.pwm_now(duty, now, ampere)

    def pwm_at_most_every_5s(self, ampere: float, now: float) -> None:
        """Follow a changed limit, but not sooner than 5 s after the last change."""
        duty = ampere_to_duty_percent(ampere)
        if duty != self.duty \
                and now - self.changed_at >= PWM_MAX_UPDATE_INTERVAL_S + BOARD_LATENCY_MARGIN_S:
            self.pwm_now(duty, now, ampere)

    def forget(self) -> None:
        """The IEC layer stopped the PWM itself (car unplugged, state E): nothing is offered."""
        self.duty, self.ampere, self.running = X1_PERCENT, 0.0, False

    def resend(self) -> None:
        """Send the current output again (the board restarted and lost it)."""
        if self.f_active:
            self._sink.set_f()
        elif self.duty == X1_PERCENT:
            self._sink.set_x1()
        else:
            self._sink.set_pwm(self.duty)

    def x1(self) -> None:
        """Stop the PWM (constant +12 V); allowed at any time."""
        self.duty, self.ampere, self.running, self.f_active = X1_PERCENT, 0.0, False, False
        self._sink.set_x1()

    def f(self) -> None:
        """State F (constant -12 V): disabled, or a fault pulse."""
        self.duty, self.ampere, self.running, self.f_active = F_PERCENT, 0.0, False, True
        self._sink.set_f()
