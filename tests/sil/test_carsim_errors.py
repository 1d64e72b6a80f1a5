"""carsim/error types beyond the classic CP and RCM faults, on bsp-only.yaml while charging.

Each physical one is injected on the simulated board and must be caught by the stack itself
(the driver, EvseManager); a reported one is raised by the car simulator on its own error
interface and reaches the ErrorHistory and the API like any other error (CarSimulator README).
"""

from __future__ import annotations

from pathlib import Path

from pycharge.modules.CbTarragonDriver.proximity import PP_PERIOD_S
from tests.conftest import Mosquitto
from tests.sil import iec61851 as iec
from tests.sil.stack import EVSE, Sil, bsp_only, sil_stack
from tests.sil.test_faults import INOPERATIVE, fault_while_charging, recover_after_unplug

OVERCURRENT = "evse_manager/MREC4OverCurrentFailure"
PROXIMITY_FAULT = "evse_board_support/MREC23ProximityFault"
EMERGENCY_STOP = "evse_board_support/MREC8EmergencyStop"
METER_FAULT = "generic/CommunicationFault"
SOFT_OVER_CURRENT_S = 6.0  # EvseManager's soft_over_current_timeout_ms, at its minimum


def test_a_car_drawing_too_much_trips_the_soft_over_current(tmp_path: Path,
                                                            mosquitto: Mosquitto) -> None:
    """MREC4OverCurrentFailure: the car takes 1.5 x what the PWM offers; EvseManager sees it
    on the meter, raises its over-current error after the timeout and the relays open."""
    config = bsp_only()
    config["active_modules"][EVSE]["config_module"]["soft_over_current_timeout_ms"] = int(
        SOFT_OVER_CURRENT_S * 1000)
    with sil_stack(tmp_path, mosquitto, config) as sil:
        sil.plug_in_and_charge()
        at = sil.now()
        sil.inject("MREC4OverCurrentFailure")
        fault = sil.log.wait_for("fault", "car_overdraw", True, since=at)
        sil.wait_log("meter", "current_A", lambda amps: amps[0] > 16.0 * 1.1, fault.time,
                     "more current than offered")
        opened = sil.log.wait_for("relay1", "contact", False, since=fault.time,
                                  timeout=SOFT_OVER_CURRENT_S + 10)
        assert SOFT_OVER_CURRENT_S <= opened.time - fault.time <= SOFT_OVER_CURRENT_S + 2.5
        for error in (OVERCURRENT, INOPERATIVE):
            sil.wait_active_error(error)
            assert (error, "Active") in sil.history()
        recover_after_unplug(sil, "MREC4OverCurrentFailure", [OVERCURRENT])


def test_a_cut_cable_ends_the_session(sil: Sil) -> None:
    """MREC26CutCable: CP and PP severed, the EVSE sees no car: relays open as on an unplug."""
    mark = sil.plug_in_and_charge()
    at = sil.now()
    sil.inject("MREC26CutCable")
    cut = sil.log.wait_for("fault", "cable_cut", True, since=at)
    iec.relays_open_after(sil.log, cut, iec.UNPLUGGED_E_F)
    sil.wait_events("TransactionFinished", "SessionFinished", since=mark)
    assert sil.board.car.state != "A"  # the car never left: only the cable broke
    repaired = sil.mark()
    sil.inject("MREC26CutCable", active=False)
    sil.wait_events("SessionStarted", since=repaired)


def test_a_plug_not_fully_home_opens_pp(sil: Sil) -> None:
    """MREC20PartialInsertion: the PP contact opens while charging: the driver's plug-removal
    proximity fault, relays open within one PP sample period (and the CP sample after it)."""
    fault_while_charging(sil, "MREC20PartialInsertion", "pp_open", [PROXIMITY_FAULT],
                         "CbTarragonDriver reads PP every 500 ms (chargebyte's period)",
                         PP_PERIOD_S + 0.1)
    assert any(e["type"] == PROXIMITY_FAULT and e["sub_type"] == "PlugRemoval"
               for e in sil.active_errors())
    recover_after_unplug(sil, "MREC20PartialInsertion", [PROXIMITY_FAULT])


def test_a_reported_error_reaches_the_history_and_changes_nothing_else(sil: Sil) -> None:
    """MREC8EmergencyStop has no input on the board: the car simulator raises it itself."""
    mark = sil.plug_in_and_charge()
    sil.inject("MREC8EmergencyStop")
    sil.wait_active_error(EMERGENCY_STOP)
    raised = next(e for e in sil.active_errors() if e["type"] == EMERGENCY_STOP)
    assert raised["origin"]["module_id"] == "car_simulator"
    assert (EMERGENCY_STOP, "Active") in sil.history()
    at = sil.now()
    sil.hold(1.0)
    assert sil.log.events("relay1", "contact", False, since=at) == []
    assert "StoppingCharging" not in sil.names(mark)
    sil.inject("MREC8EmergencyStop", active=False)
    sil.wait_active_error(EMERGENCY_STOP, present=False)
    assert (EMERGENCY_STOP, "ClearedByModule") in sil.history()


def test_a_meter_communication_fault_makes_the_evse_inoperative(sil: Sil) -> None:
    """powermeter/CommunicationFault: raised on the car simulator's meter, which falls silent;
    EvseManager (fail_on_powermeter_errors) stops charging until it clears."""
    mark = sil.plug_in_and_charge()
    at = sil.now()
    sil.inject("powermeter/CommunicationFault")
    for error in (METER_FAULT, INOPERATIVE):
        sil.wait_active_error(error)
    sil.wait_events("StoppingCharging", "ChargingPausedEVSE", since=mark)
    sil.log.wait_for("relay1", "contact", False, since=at)
    resumed = sil.mark()
    sil.inject("powermeter/CommunicationFault", active=False)
    sil.wait_active_error(INOPERATIVE, present=False)
    sil.wait_events("ChargingStarted", since=resumed)
