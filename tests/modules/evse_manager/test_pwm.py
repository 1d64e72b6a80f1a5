"""Duty cycle <-> current both ways (IEC 61851-1 Annex A, anchors.md) and the 5 s rule."""

from __future__ import annotations

import pytest

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState
from pycharge.modules.EvseManager.pwm import (
    PilotOutput,
    ampere_to_duty_percent,
    duty_percent_to_ampere,
)

from .fakes import Rig


@pytest.mark.parametrize(("ampere", "duty"), [
    (0.0, 100.0), (5.89, 100.0),  # below 5.9 A: no charging (constant +12 V)
    (5.9, 10.0), (6.0, 10.0), (6.1, 10.0),  # 5.9 ... 6.1 A: 10 %
    (6.11, 6.11 / 0.6), (16.0, 16.0 / 0.6), (32.0, 32.0 / 0.6),
    (51.0, 85.0), (52.0, 85.0),  # 51 ... 52.5 A has no duty of its own: 51 A
    (52.5, 52.5 / 2.5 + 64), (63.0, 63.0 / 2.5 + 64), (80.0, 96.0),
    (80.05, 97.0), (80.1, 97.0),  # 80 ... 80.1 A: 97 %
    (80.11, 100.0), (100.0, 100.0),  # above 80.1 A: invalid
])
def test_ampere_to_duty(ampere: float, duty: float) -> None:
    assert ampere_to_duty_percent(ampere) == pytest.approx(duty)


@pytest.mark.parametrize(("duty", "ampere"), [
    (0.0, 0.0), (5.0, 0.0), (7.99, 0.0),  # below 8 %: no charging (5 % = HLC)
    (8.0, 6.0), (9.99, 6.0), (10.0, 6.0), (26.67, 16.0), (53.33, 32.0), (85.0, 51.0),
    (85.01, (85.01 - 64) * 2.5), (90.0, 65.0), (96.0, 80.0), (96.5, 80.0), (97.0, 80.0),
    (97.01, 0.0), (100.0, 0.0),  # above 97 %: no charging
])
def test_duty_to_ampere(duty: float, ampere: float) -> None:
    assert duty_percent_to_ampere(duty) == pytest.approx(ampere, abs=0.01)


@pytest.mark.parametrize("ampere", [6.0, 10.0, 16.0, 20.0, 32.0, 40.0, 51.0, 55.0, 63.0, 70.0, 80.0])
def test_round_trip(ampere: float) -> None:
    assert duty_percent_to_ampere(ampere_to_duty_percent(ampere)) == pytest.approx(ampere)


def test_52_5_a_is_the_edge_of_both_formulas() -> None:
    """52.5 A gives exactly 85 %, which the EV reads with the lower formula as 51 A."""
    assert ampere_to_duty_percent(52.5) == 85.0
    assert duty_percent_to_ampere(85.0) == pytest.approx(51.0)


class Sink:
    def __init__(self) -> None:
        self.sent: list[object] = []

    def set_pwm(self, percent: float) -> None:
        self.sent.append(round(percent, 2))

    def set_x1(self) -> None:
        self.sent.append("X1")

    def set_f(self) -> None:
        self.sent.append("F")


def test_duty_changes_at_most_every_5_s_but_x1_at_once() -> None:
    sink = Sink()
    pilot = PilotOutput(sink)
    pilot.pwm_if_changed(16.0, now=100.0)
    pilot.pwm_at_most_every_5s(10.0, now=104.9)
    assert sink.sent == [26.67]
    pilot.pwm_at_most_every_5s(10.0, now=105.45)  # 5 s and the margin for the board's latency
    assert sink.sent == [26.67]
    pilot.pwm_at_most_every_5s(10.0, now=105.5)
    assert sink.sent == [26.67, 16.67]
    assert pilot.ampere == 10.0  # what the EV was told, for soft over-current
    pilot.x1()
    assert sink.sent[-1] == "X1" and pilot.ampere == 0.0


def test_5_s_rule_while_charging() -> None:
    rig = Rig(config=ChargerConfig(disable_authentication=True))
    rig.start(32.0)
    rig.charge()
    rig.board.take()
    rig.set_budget(16.0)
    rig.advance(4.8)
    assert [c for c in rig.board.commands if c[0] == "pwm_on"] == []
    rig.advance(0.8)  # 5 s and the board latency margin
    assert [c for c in rig.board.take() if c[0] == "pwm_on"] == [("pwm_on", 26.67)]
    rig.set_budget(20.0)
    rig.advance(4.8)
    assert [c for c in rig.board.take() if c[0] == "pwm_on"] == []
    rig.set_budget(0.0)  # a reduction to stop is immediate
    assert rig.board.take()[:2] == [("allow_power_on", False), ("X1",)]
    assert rig.state == EvseState.StoppingCharging
