"""Errors -> Inoperative and the safe state (everest-framework.md §5.6)."""

from __future__ import annotations

import pytest

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState
from pycharge.modules.EvseManager.error_handling import INOPERATIVE, ErrorHandling, Shutdown
from pycharge.runtime.errors import Error

from .fakes import LOG, FakeOwnErrors, Rig

# (source, error type, severity) -> shutdown
MAPPING = [
    ("bsp", "evse_board_support/MREC14PilotFault", "High", Shutdown.EMERGENCY),
    ("bsp", "evse_board_support/DiodeFault", "High", Shutdown.EMERGENCY),
    ("bsp", "evse_board_support/MREC17EVSEContactorFault", "High", Shutdown.EMERGENCY),
    ("bsp", "evse_board_support/MREC3HighTemperature", "High", Shutdown.NONE),
    ("bsp", "evse_board_support/MREC18CableOverTempDerate", "Medium", Shutdown.NONE),
    ("bsp", "evse_board_support/VendorWarning", "Low", Shutdown.NONE),
    ("bsp", "evse_board_support/VendorError", "Low", Shutdown.ERROR),
    ("bsp", "runtime/ModuleFault", "High", Shutdown.EMERGENCY),  # the board's module died
    ("ac_rcd", "ac_rcd/MREC2GroundFailure", "High", Shutdown.EMERGENCY),
    ("ac_rcd", "ac_rcd/VendorWarning", "Low", Shutdown.NONE),
    ("connector_lock", "connector_lock/ConnectorLockFailedLock", "Medium", Shutdown.ERROR),
    ("connector_lock", "connector_lock/VendorWarning", "Low", Shutdown.NONE),
    ("powermeter", "generic/CommunicationFault", "Medium", Shutdown.ERROR),
    ("powermeter", "generic/VendorWarning", "Low", Shutdown.NONE),
]


@pytest.mark.parametrize(("source", "error_type", "severity", "shutdown"), MAPPING,
                         ids=[f"{m[0]}:{m[1]}" for m in MAPPING])
def test_error_to_shutdown(source: str, error_type: str, severity: str,
                           shutdown: Shutdown) -> None:
    own = FakeOwnErrors()
    handling = ErrorHandling(own, LOG)
    error = Error(error_type, severity=severity)
    handling.raised(source, error)
    assert handling.shutdown == shutdown
    inoperative = [e for e in own.active_errors() if e.type == INOPERATIVE]
    assert bool(inoperative) == (shutdown != Shutdown.NONE)
    if inoperative:
        assert inoperative[0].message == error_type and inoperative[0].severity == "High"
    handling.cleared(source, error)
    assert handling.shutdown == Shutdown.NONE and own.active_errors() == []


def test_the_worst_active_error_decides_and_inoperative_clears_with_the_last():
    own = FakeOwnErrors()
    changes: list[Shutdown] = []
    handling = ErrorHandling(own, LOG)
    handling.on_change = lambda: changes.append(handling.shutdown)
    medium = Error("connector_lock/ConnectorLockFailedLock", severity="Medium")
    high = Error("evse_board_support/MREC14PilotFault", "CPShortFault", severity="High")
    handling.raised("connector_lock", medium)
    handling.raised("bsp", high)
    handling.cleared("bsp", high)
    assert changes == [Shutdown.ERROR, Shutdown.EMERGENCY, Shutdown.ERROR]
    assert INOPERATIVE in own.types()
    handling.cleared("connector_lock", medium)
    assert changes[-1] == Shutdown.NONE and INOPERATIVE not in own.types()


def charging_rig(state_f_ms: int = 300) -> Rig:
    rig = Rig(config=ChargerConfig(disable_authentication=True, state_f_after_fault_ms=state_f_ms))
    rig.start(16.0)
    rig.charge()
    rig.take_events()
    rig.board.take()
    return rig


def test_high_error_while_charging_f_pulse_power_off_pause_and_resume():
    rig = charging_rig()
    error = rig.raise_error("bsp", "evse_board_support/MREC14PilotFault", "High")
    commands = rig.board.take()
    assert commands[:2] == [("F",), ("allow_power_on", False)]  # at once
    assert ("X1",) not in commands  # the F pulse is not cut short
    assert rig.take_events() == ["StoppingCharging"]
    rig.cp("F", "PowerOff")  # the board sees its own F; relays reported open
    assert rig.take_events() == ["ChargingPausedEVSE"]
    assert rig.published[-1]["charging_paused_evse"] == {"reasons": ["Error"]}
    rig.advance(0.2)
    assert ("X1",) not in rig.board.commands
    rig.advance(0.2)  # state_F_after_fault_ms = 300
    assert rig.board.take()[-1] == ("X1",)
    rig.cp("C")
    rig.clear_error("bsp", error)
    assert rig.take_events() == ["PrepareCharging", "ChargingStarted"]
    assert rig.board.power()[-1] is True


def test_medium_error_keeps_no_pulse_when_disabled_and_still_powers_off():
    rig = charging_rig(state_f_ms=0)
    rig.raise_error("connector_lock", "connector_lock/ConnectorLockFailedLock", "Medium")
    commands = rig.board.take()
    assert commands[0] == ("allow_power_on", False)
    assert ("F",) not in commands
    assert rig.state == EvseState.StoppingCharging


def test_inoperative_before_plug_in_shows_f_and_starts_no_transaction():
    rig = Rig(config=ChargerConfig(disable_authentication=True))
    rig.start(16.0)
    error = rig.raise_error("ac_rcd", "ac_rcd/MREC2GroundFailure", "High")
    assert rig.board.commands[-1] == ("F",)
    rig.take_events()
    rig.cp("B")
    assert "TransactionStarted" not in rig.events()
    assert rig.state == EvseState.Finished
    rig.cp("A")
    assert rig.state == EvseState.Idle
    rig.clear_error("ac_rcd", error)
    assert rig.board.commands[-1] == ("X1",)


def test_soft_overcurrent_raises_mrec4_which_clears_on_unplug():
    rig = charging_rig()
    rig.set_budget(16.0, valid_for=60)
    rig.charger.overcurrent.currents = (18.0, 16.0, 16.0)  # 16 A signalled: limit 18.15 A
    rig.advance(8.0)
    assert rig.state == EvseState.Charging
    rig.charger.overcurrent.currents = (19.0, 16.0, 16.0)
    rig.advance(6.9)
    assert rig.state == EvseState.Charging
    rig.advance(0.2)  # soft_over_current_timeout_ms = 7000
    assert "evse_manager/MREC4OverCurrentFailure" in rig.own.types()
    assert rig.errors.shutdown == Shutdown.EMERGENCY
    rig.charger.overcurrent.currents = (0.0, 0.0, 0.0)
    rig.cp("A", "PowerOff")
    assert rig.state == EvseState.Idle
    assert rig.own.types() == set()


def test_powermeter_start_failure_stops_the_session():
    from .fakes import FakeMeter

    meter = FakeMeter()
    rig = Rig(config=ChargerConfig(disable_authentication=True), meter=meter)
    rig.start(16.0)
    rig.take_events()
    rig.cp("B")
    assert rig.events() == ["SessionStarted", "AuthRequired", "Authorized"]
    kind, request, call = meter.calls[-1]
    assert kind == "start" and request["identification_data"] == "FREESERVICE"
    call.finish({"status": "UNEXPECTED_ERROR", "error": "meter broken"})
    rig.charger.settle()
    assert "evse_manager/PowermeterTransactionStartFailed" in rig.own.types()
    assert rig.state == EvseState.Finished
    assert "TransactionStarted" not in rig.events()


def test_error_while_paused_by_the_ev_keeps_the_pwm_off():
    rig = charging_rig()
    rig.set_budget(16.0, valid_for=100)
    rig.cp("B", "PowerOff")
    assert rig.state == EvseState.ChargingPausedEV
    rig.raise_error("bsp", "evse_board_support/MREC14PilotFault", "High")
    assert rig.state == EvseState.ChargingPausedEVSE
    rig.board.take()
    rig.advance(10.0)
    assert [c for c in rig.board.commands if c[0] == "pwm_on"] == []  # no PWM while inoperative
