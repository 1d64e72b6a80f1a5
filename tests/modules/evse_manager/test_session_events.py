"""Session event order of whole sessions (EVerest's order; everest-framework.md §5.4, §6.3).

Synthetic board events and a clock the test moves; no bus.
"""

from __future__ import annotations

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState

from .fakes import Rig

START = ["SessionStarted", "AuthRequired", "Authorized", "TransactionStarted", "PrepareCharging",
         "ChargingStarted"]
FREE = ChargerConfig(disable_authentication=True)


def charging_rig(budget_a: float = 16.0) -> Rig:
    rig = Rig(config=FREE)
    rig.start(budget_a)
    rig.take_events()
    rig.charge()
    assert rig.take_events() == START
    return rig


def test_full_session_in_everests_order():
    rig = charging_rig()
    rig.cp("B")  # the car is full: it opens S2
    assert rig.take_events() == ["StoppingCharging"]
    rig.cp("PowerOff")
    assert rig.take_events() == ["ChargingPausedEV"]
    rig.cp("A")
    assert rig.take_events() == ["StoppingCharging", "ChargingFinished", "TransactionFinished",
                                 "SessionFinished"]
    assert rig.state == EvseState.Idle
    assert rig.last("TransactionFinished")["transaction_finished"]["reason"] == "EVDisconnected"


def test_session_events_carry_one_session_id_and_the_free_service_token():
    rig = Rig(config=FREE)
    rig.start()
    rig.charge()
    rig.cp("A", "PowerOff")
    session = [e for e in rig.published if e["event"] != "Enabled"]
    assert {e["uuid"] for e in session} == {session[0]["uuid"]}
    assert len(session[0]["uuid"]) == 36
    token = rig.last("TransactionStarted")["transaction_started"]["id_tag"]
    assert token == {"id_token": {"value": "FREESERVICE", "type": "Local"},
                     "authorization_type": "RFID", "prevalidated": True}
    assert rig.last("SessionStarted")["session_started"]["reason"] == "EVConnected"
    assert "meter_value" in rig.last("ChargingStarted")["charging_state_changed_event"]


def test_paused_by_ev_and_resumed():
    rig = charging_rig()
    rig.cp("B", "PowerOff")
    assert rig.take_events() == ["StoppingCharging", "ChargingPausedEV"]
    rig.board.take()
    rig.advance(5.5)  # the PWM comes back 5 s (+ the board latency margin) after its last change
    assert ("pwm_on", 26.67) in rig.board.take()
    rig.cp("C")
    assert rig.take_events() == ["PrepareCharging", "ChargingStarted"]
    assert rig.board.power() == [True]


def test_paused_by_evse_and_resumed():
    rig = charging_rig()
    assert rig.charger.auth.pause(True)
    rig.charger.settle()
    assert rig.take_events() == ["StoppingCharging"]
    rig.cp("B", "PowerOff")
    assert rig.take_events() == ["ChargingPausedEVSE"]
    assert rig.published[-1]["charging_paused_evse"] == {"reasons": ["UserPause"]}
    rig.take_events()
    rig.advance(10.0)
    assert rig.events() == []  # no unexpected ChargingStarted while paused
    assert rig.charger.auth.pause(False)
    rig.charger.settle()
    rig.cp("C")
    assert rig.take_events() == ["PrepareCharging", "ChargingStarted"]


def test_stop_via_command_then_unplug():
    rig = charging_rig()
    assert rig.charger.auth.cancel({"reason": "Remote"})
    rig.charger.settle()
    assert rig.take_events() == ["StoppingCharging"]
    assert rig.board.power()[-1] is False
    rig.cp("B", "PowerOff")
    assert rig.take_events() == ["ChargingFinished", "TransactionFinished"]
    assert rig.last("TransactionFinished")["transaction_finished"]["reason"] == "Remote"
    rig.charger.auth.authorize({"id_token": {"value": "LATE", "type": "Local"},
                                "authorization_type": "RFID"}, {"authorization_status": "Accepted",
                                                                "tariff_messages": []})
    rig.charger.settle()
    assert rig.take_events() == []  # a late authorization after a cancel is ignored
    rig.cp("A")
    assert rig.take_events() == ["SessionFinished"]


def test_unplug_while_charging():
    rig = charging_rig()
    rig.board.take()
    rig.cp("A")
    assert rig.board.power() and not any(rig.board.power())  # relays off at once
    assert rig.take_events() == ["StoppingCharging"]  # waits for the relays to be reported off
    rig.cp("PowerOff")
    assert rig.take_events() == ["ChargingFinished", "TransactionFinished", "SessionFinished"]


def test_no_energy_before_session_then_raised():
    rig = Rig(config=FREE)
    rig.start(budget_a=0)
    rig.take_events()
    rig.cp("B")
    assert rig.take_events() == START[:5]
    assert "pwm_on" not in {c[0] for c in rig.board.commands}  # nothing offered yet: X1
    rig.advance(3.0)
    assert rig.state == EvseState.PrepareCharging
    rig.set_budget(16.0)
    assert rig.board.commands[-1] == ("pwm_on", 26.67)
    rig.cp("C")
    assert rig.take_events() == ["ChargingStarted"]


def test_energy_withdrawn_during_session_and_given_back():
    rig = charging_rig()
    rig.board.take()
    rig.set_budget(0.0)
    assert rig.take_events() == ["StoppingCharging"]
    assert rig.board.take()[:2] == [("allow_power_on", False), ("X1",)]  # at once, no 5 s wait
    rig.cp("B", "PowerOff")
    assert rig.published[-1]["charging_paused_evse"] == {"reasons": ["NoEnergy"]}
    rig.take_events()
    rig.set_budget(16.0)
    assert rig.take_events() == ["PrepareCharging"]
    rig.cp("C")
    assert rig.take_events() == ["ChargingStarted"]


def test_authorization_from_auth_before_and_after_plug_in():
    rig = Rig()
    rig.start()
    rig.take_events()
    rig.cp("B")
    assert rig.take_events() == ["SessionStarted", "AuthRequired"]
    rig.advance(2.0)
    assert rig.state == EvseState.WaitingForAuthentication
    assert "pwm_on" not in {c[0] for c in rig.board.commands}
    rig.charger.auth.authorize({"id_token": {"value": "DEADBEEF", "type": "ISO14443"},
                                "authorization_type": "RFID"},
                               {"authorization_status": "Accepted", "tariff_messages": []})
    rig.charger.settle()
    assert rig.take_events() == ["Authorized", "TransactionStarted", "PrepareCharging"]

    early = Rig()
    early.start()
    early.take_events()
    early.charger.auth.authorize({"id_token": {"value": "DEADBEEF", "type": "ISO14443"},
                                  "authorization_type": "RFID"},
                                 {"authorization_status": "Accepted", "tariff_messages": []})
    early.charger.settle()
    early.cp("B")
    assert early.take_events() == ["SessionStarted", "Authorized", "AuthRequired",
                                   "TransactionStarted", "PrepareCharging"]
    assert early.last("SessionStarted")["session_started"]["reason"] == "Authorized"


def test_plug_in_timeout_without_authorization():
    rig = Rig(config=ChargerConfig(raise_mrec9=True))
    rig.start()
    rig.cp("B")
    rig.take_events()
    assert rig.charger.auth.deauthorize(in_use=False) is False
    rig.charger.settle()
    assert rig.take_events() == ["Deauthorized", "PluginTimeout"]
    assert "evse_manager/MREC9AuthorizationTimeout" in rig.own.types()
    rig.cp("A")
    assert rig.take_events() == ["SessionFinished"]
    assert "evse_manager/MREC9AuthorizationTimeout" not in rig.own.types()  # cleared on unplug


def test_disabled_during_a_session_finishes_the_transaction():
    rig = charging_rig()
    rig.board.take()
    assert rig.charger.enable_disable(0, {"enable_source": "LocalAPI", "enable_state": "Disable",
                                          "enable_priority": 100}) is False
    assert rig.take_events() == ["Disabled", "ChargingFinished", "TransactionFinished"]
    assert rig.last("TransactionFinished")["transaction_finished"]["reason"] == "Other"
    commands = rig.board.take()
    assert ("F",) in commands and ("allow_power_on", False) in commands
    assert ("enable", False) in commands
