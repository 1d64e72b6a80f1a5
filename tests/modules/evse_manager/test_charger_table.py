"""The charger state machine, table-driven: from a state, one input, the next state and events.

Each row reaches a state the way a real session does (synthetic board events, the test's
clock), applies one input and checks where the charger ends up and what it reported.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState

from .fakes import Rig

S = EvseState


def idle(rig: Rig) -> None:
    pass


def waiting(rig: Rig) -> None:
    rig.cp("B")


def preparing(rig: Rig) -> None:
    rig.charger.auth.authorize({"id_token": {"value": "T", "type": "Local"},
                                "authorization_type": "RFID"},
                               {"authorization_status": "Accepted", "tariff_messages": []})
    rig.cp("B")


def charging(rig: Rig) -> None:
    preparing(rig)
    rig.cp("C", "PowerOn")


def paused_by_ev(rig: Rig) -> None:
    charging(rig)
    rig.cp("B", "PowerOff")


def paused_by_evse(rig: Rig) -> None:
    charging(rig)
    rig.charger.auth.pause(True)
    rig.cp("B", "PowerOff")


def finished(rig: Rig) -> None:
    charging(rig)
    rig.charger.auth.cancel({"reason": "Local"})
    rig.cp("B", "PowerOff")


def board(*events: str) -> Callable[[Rig], None]:
    return lambda rig: rig.cp(*events)


def no_energy(rig: Rig) -> None:
    rig.set_budget(0.0)


def resume(rig: Rig) -> None:
    rig.charger.auth.pause(False)
    rig.charger.settle()


def stop(rig: Rig) -> None:
    rig.charger.auth.cancel({"reason": "Remote"})
    rig.charger.settle()


# (reach, input, expected state, expected session events)
ROWS = [
    (idle, board("B"), S.WaitingForAuthentication, ["SessionStarted", "AuthRequired"]),
    (idle, board("C"), S.WaitingForAuthentication, ["SessionStarted", "AuthRequired"]),
    (idle, board("E"), S.Idle, []),
    (waiting, board("A"), S.Idle, ["SessionFinished"]),
    (waiting, board("C"), S.WaitingForAuthentication, []),
    (preparing, board("C"), S.Charging, ["ChargingStarted"]),
    (preparing, board("A"), S.Idle, ["StoppingCharging", "ChargingFinished",
                                     "TransactionFinished", "SessionFinished"]),
    (preparing, no_energy, S.PrepareCharging, []),
    (charging, board("B"), S.StoppingCharging, ["StoppingCharging"]),
    (charging, board("E"), S.StoppingCharging, ["StoppingCharging"]),
    (charging, board("A", "PowerOff"), S.Idle, ["StoppingCharging", "ChargingFinished",
                                                "TransactionFinished", "SessionFinished"]),
    (charging, no_energy, S.StoppingCharging, ["StoppingCharging"]),
    (charging, stop, S.StoppingCharging, ["StoppingCharging"]),
    (paused_by_ev, board("C"), S.Charging, ["PrepareCharging", "ChargingStarted"]),
    (paused_by_ev, no_energy, S.ChargingPausedEVSE, ["ChargingPausedEVSE"]),
    (paused_by_ev, board("A"), S.Idle, ["StoppingCharging", "ChargingFinished",
                                        "TransactionFinished", "SessionFinished"]),
    (paused_by_evse, resume, S.PrepareCharging, ["PrepareCharging"]),
    (paused_by_evse, no_energy, S.ChargingPausedEVSE, ["ChargingPausedEVSE"]),  # reasons grow
    (paused_by_evse, stop, S.Finished, ["StoppingCharging", "ChargingFinished",
                                        "TransactionFinished"]),
    (finished, board("C"), S.Finished, []),  # no new charging before unplug
    (finished, board("A"), S.Idle, ["SessionFinished"]),
]


@pytest.mark.parametrize(("reach", "action", "state", "events"), ROWS,
                         ids=[f"{r[0].__name__}-{i}" for i, r in enumerate(ROWS)])
def test_transition(reach: Callable[[Rig], None], action: Callable[[Rig], None], state: S,
                    events: list[str]) -> None:
    rig = Rig(config=ChargerConfig())
    rig.start(16.0)
    rig.set_budget(16.0, valid_for=100)
    reach(rig)
    rig.take_events()
    action(rig)
    assert (rig.state, rig.take_events()) == (state, events)
