"""Faults while charging on bsp-only.yaml: the relays open, the errors are recorded, and the
charger recovers once the fault is gone and the car was unplugged.

Faults are physical, injected on the simulated board over the carsim topics (CarSimulator
README): the real CbTarragonDriver has to detect them. Relay reactions are timed on the
board's own clock against the IEC 61851-1 lines quoted in ``iec61851.py``.
"""

from __future__ import annotations

from tests.conftest import Mosquitto
from tests.sil import iec61851 as iec
from tests.sil.stack import BSP, STAY, Sil, bsp_only, sil_stack

INOPERATIVE = "evse_manager/Inoperative"
DIODE_FAULT = "evse_board_support/DiodeFault"
PILOT_FAULT = "evse_board_support/MREC14PilotFault"
GROUND_FAILURE = "ac_rcd/MREC2GroundFailure"


def fault_while_charging(sil: Sil, error_type: str, board_fault: str, errors: list[str],
                         requirement: str | None = None,
                         limit_s: float = iec.RELAYS_OPEN_LIMIT_S) -> None:
    """Charge, inject the fault, check the reaction: relays open (within ``limit_s``, the
    ``requirement``), EVSE paused, errors recorded."""
    sil.plug_in_and_charge()
    mark, at = sil.mark(), sil.now()
    sil.inject(error_type)
    fault = sil.log.wait_for("fault", board_fault, True, since=at)
    if requirement is None:
        requirement = iec.UNPLUGGED_E_F if board_fault != "rcm_trip" else iec.RCM
    iec.relays_open_after(sil.log, fault, requirement, limit_s)
    paused = sil.wait_events("StoppingCharging", "ChargingPausedEVSE", since=mark)[-1]
    assert "Error" in paused["charging_paused_evse"]["reasons"]
    for error in [*errors, INOPERATIVE]:
        sil.wait_active_error(error)
        assert (error, "Active") in sil.history(), f"{error} not in the ErrorHistory database"
    assert sil.wait_info("ChargingPausedEVSE")["permanent_fault"] is True
    sil.hold(1.0)
    assert sil.log.events("relay1", "coil", True, since=fault.time) == [], \
        "the relays closed again while the fault was there"


def recover_after_unplug(sil: Sil, error_type: str, errors: list[str]) -> None:
    """Fault gone, car unplugged: errors cleared everywhere, and the next car charges."""
    mark = sil.mark()
    sil.inject(error_type, active=False)
    sil.car_modify("unplug")
    sil.wait_events("TransactionFinished", "SessionFinished", since=mark)
    for error in [*errors, INOPERATIVE]:
        sil.wait_active_error(error, present=False)
        assert (error, "Active") not in sil.history()
        assert (error, "ClearedByModule") in sil.history()
    assert sil.wait_info("Unplugged")["permanent_fault"] is False
    closes = len(sil.log.events("relay1", "coil", True))
    sil.plug_in_and_charge()
    assert len(sil.log.events("relay1", "coil", True)) == closes + 1


def test_diode_fault_while_charging(sil: Sil) -> None:
    fault_while_charging(sil, "DiodeFault", "diode_short", [DIODE_FAULT])
    recover_after_unplug(sil, "DiodeFault", [DIODE_FAULT])
    iec.check_relays_close_only_in_c_with_pwm(sil.log)
    iec.check_relays_open_when_pwm_stops(sil.log)


def test_cp_short_while_charging(sil: Sil) -> None:
    fault_while_charging(sil, "CPShort", "cp_short", [PILOT_FAULT])
    assert any(e["type"] == PILOT_FAULT and e["sub_type"] == "CPShortFault"
               for e in sil.active_errors())
    recover_after_unplug(sil, "CPShort", [PILOT_FAULT])
    iec.check_relays_close_only_in_c_with_pwm(sil.log)
    iec.check_relays_open_when_pwm_stops(sil.log)


def test_rcm_trip_while_charging(tmp_path: object, mosquitto: Mosquitto) -> None:
    """bsp-only.yaml leaves ``rcm_enable`` at its default, false (no RCM wired): this test runs
    a copy of it with ``rcm_enable: true`` on the driver, everything else unchanged."""
    config = bsp_only()
    config["active_modules"][BSP].setdefault("config_module", {})["rcm_enable"] = True
    with sil_stack(tmp_path, mosquitto, config) as sil:
        fault_while_charging(sil, "RCMTrip", "rcm_trip", [GROUND_FAILURE])
        tripped = sil.log.first("rcm", "tripped", True)
        iec.relays_open_after(sil.log, tripped, iec.RCM)
        recover_after_unplug(sil, "RCMTrip", [GROUND_FAILURE])
        iec.check_relays_close_only_in_c_with_pwm(sil.log)
        iec.check_relays_open_when_pwm_stops(sil.log)


def test_car_shorts_the_pilot_state_e(sil: Sil) -> None:
    mark = sil.plug_in_and_charge()
    at = sil.now()
    sil.car_modify("error_e" + STAY)
    state_e = sil.log.wait_for("car", "state", "E", since=at)
    iec.relays_open_after(sil.log, state_e, iec.UNPLUGGED_E_F)
    sil.wait_active_error(PILOT_FAULT)
    back = sil.now()
    sil.car_modify("pause" + STAY)  # the car leaves E for B and does not ask for power
    sil.log.wait_for("car", "state", "B", since=back)
    sil.wait_active_error(PILOT_FAULT, present=False)
    sil.hold(1.5)
    after_e = sil.names(mark)[sil.names(mark).index("ChargingStarted") + 1:]
    assert "ChargingStarted" not in after_e, f"charging started with the car in B: {after_e}"
    assert sil.log.events("relay1", "coil", True, since=at) == []
    sil.car_modify("unplug")
    sil.wait_events("TransactionFinished", "SessionFinished", since=mark)
    iec.check_relays_open_when_pwm_stops(sil.log)


def test_disabled_over_the_api_shows_f(sil: Sil) -> None:
    mark = sil.plug_in_and_charge()
    at = sil.now()
    sil.api("disable", "1")
    finished = sil.wait_events("Disabled", "ChargingFinished", "TransactionFinished",
                               since=mark)[-1]
    assert finished["transaction_finished"]["reason"] == "Other"
    state_f = sil.log.wait_for("cp", "output", 0.0, since=at)
    iec.relays_open_after(sil.log, state_f, iec.UNPLUGGED_E_F)
    assert sil.wait_info("Disabled")["active_enable_disable_source"]["state"] == "Disable"
    enabled_at = sil.now()
    sil.api("enable", "1")
    sil.wait_events("Enabled", since=mark)
    sil.log.wait_for("cp", "output", 100.0, since=enabled_at)  # F ends: X1


def test_no_pwm_for_a_car_that_left_with_a_diode_fault(sil: Sil) -> None:
    sil.plug_in_and_charge()
    mark = sil.mark()
    sil.inject("DiodeFault")
    sil.wait_events("ChargingPausedEVSE", since=mark)
    sil.inject("DiodeFault", active=False)  # the diode fault stays raised until the CP is in A
    sil.car_modify("unplug")
    sil.wait_events("SessionFinished", since=mark)
    sil.hold(0.3)
    assert "PrepareCharging" not in sil.names(mark), sil.names(mark)
    iec.check_no_pwm_without_car(sil.log)
