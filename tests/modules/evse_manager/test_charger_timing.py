"""Time-driven behaviour of the charger: the legacy wake-up, the stop timeout, the meter."""

from __future__ import annotations

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState

from .fakes import FakeMeter, Rig

FREE = ChargerConfig(disable_authentication=True)


def test_legacy_wake_up_then_paused_by_ev():
    """EV stays in B with PWM: after 30 s F for 4 s, X1 for 0.75 s, PWM; 10 s later PausedEV."""
    rig = Rig(config=FREE)
    rig.start(16.0)
    rig.set_budget(16.0, valid_for=100)
    rig.cp("B")
    rig.board.take()
    rig.advance(30.0)
    assert rig.state == EvseState.PrepareCharging and rig.board.commands == []
    rig.advance(0.2)
    assert rig.state == EvseState.T_step_EF and rig.board.take() == [("F",)]
    rig.cp("F")
    rig.advance(3.9)
    assert rig.board.commands == [("allow_power_on", False)]  # the IEC layer sees F
    rig.board.take()
    rig.advance(0.2)
    assert rig.board.take() == [("X1",)]
    rig.cp("B")
    rig.advance(0.7)
    assert ("pwm_on", 26.67) in rig.board.take() and rig.state == EvseState.PrepareCharging
    rig.take_events()
    rig.advance(10.2)
    assert rig.take_events() == ["ChargingPausedEV"]
    rig.cp("C")  # the EV wakes up after all
    assert rig.take_events() == ["PrepareCharging", "ChargingStarted"]


def test_stopping_waits_for_power_off_and_forces_it_again_after_20_s():
    rig = Rig(config=FREE)
    rig.start(16.0)
    rig.set_budget(16.0, valid_for=100)
    rig.charge()
    rig.charger.auth.pause(True)
    rig.charger.settle()
    rig.board.take()
    rig.advance(5.9)  # the car ignores X1 and stays in C
    assert rig.board.power() == []
    rig.advance(0.2)
    assert rig.board.power() == [False]  # the IEC layer: off under load after 6 s
    rig.advance(13.8)
    assert rig.state == EvseState.StoppingCharging  # no PowerOff from the board yet
    assert rig.board.power() == [False]
    rig.advance(0.2)
    assert rig.board.power() == [False, False]  # forced again after 20 s
    rig.advance(5.0)
    assert rig.board.power() == [False, False]  # once, not every loop
    rig.cp("PowerOff")
    assert rig.state == EvseState.ChargingPausedEVSE


def test_meter_transaction_with_signed_values():
    meter = FakeMeter()
    rig = Rig(config=FREE, meter=meter)
    rig.start(16.0)
    rig.session.meter = {"timestamp": "2026-01-01T00:00:00.000Z", "energy_Wh_import": {"total": 100.0}}
    rig.cp("B")
    assert rig.state == EvseState.WaitingForAuthentication  # waits for the meter
    meter.calls[-1][2].finish({"status": "OK"})
    rig.charger.settle()
    assert rig.state == EvseState.PrepareCharging
    rig.cp("C", "PowerOn")
    rig.session.meter = {"timestamp": "2026-01-01T01:00:00.000Z", "energy_Wh_import": {"total": 7500.0}}
    rig.cp("A", "PowerOff")
    assert rig.state == EvseState.Finished  # waits for the meter's signed record
    kind, transaction_id, call = meter.calls[-1]
    assert kind == "stop" and transaction_id == rig.last("SessionStarted")["uuid"]
    signed = {"signed_meter_data": "abc", "signing_method": "x", "encoding_method": "OCMF"}
    call.finish({"status": "OK", "signed_meter_value": signed})
    rig.charger.settle()
    finished = rig.last("TransactionFinished")["transaction_finished"]
    assert finished["signed_meter_value"] == signed
    assert finished["meter_value"]["energy_Wh_import"]["total"] == 7500.0
    assert rig.last("TransactionStarted")["transaction_started"]["meter_value"][
        "energy_Wh_import"]["total"] == 100.0
    assert rig.state == EvseState.Idle


def test_reservation_goes_into_the_session_and_ends_with_it():
    rig = Rig(config=FREE)
    rig.start(16.0)
    assert rig.session.reserve(7)
    assert not rig.session.reserve(8)  # reserved for another id
    assert rig.last("ReservationStart")["uuid"] == ""
    rig.cp("B")
    assert rig.last("SessionStarted")["session_started"]["reservation_id"] == 7
    assert rig.last("TransactionStarted")["transaction_started"]["reservation_id"] == 7
    assert rig.session.reservation_id is None  # used up, without ReservationEnd
    assert "ReservationEnd" not in rig.events()
