"""carsim/error names: every YetiSimulator error type is a physical fault or a reported error,
and each new physical fault changes what the board's sensors show."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pycharge.runtime.definitions import Definitions
from pycharge.simulation.board import FAULTS, Board
from pycharge.simulation.car import OVERDRAW_FACTOR
from pycharge.simulation.faults import PHYSICAL, REPORTED, Reported, lookup
from pycharge.simulation.proximity import PULL_UP_V
from tests.simulation.conftest import Evse
from tests.support.clocks import ManualClock

EVEREST = Path("/work/.mirror/EVerest+everest-core/repo")
YETI_ERRORS = "modules/Simulation/YetiSimulator/util/errors.cpp"
# the error_type strings YetiSimulator's util/errors.cpp accepts on carsim/error (EVerest 2026.02)
YETI_ERROR_TYPES = [
    "powermeter/CommunicationFault",
    "DiodeFault", "BrownOut", "EnergyManagement", "PermanentFault", "MREC2GroundFailure",
    "MREC3HighTemperature", "MREC4OverCurrentFailure", "MREC5OverVoltage", "MREC6UnderVoltage",
    "MREC8EmergencyStop", "MREC10InvalidVehicleMode", "MREC14PilotFault", "MREC15PowerLoss",
    "MREC17EVSEContactorFault", "MREC18CableOverTempDerate", "MREC19CableOverTempStop",
    "MREC20PartialInsertion", "MREC23ProximityFault", "MREC24ConnectorVoltageHigh",
    "MREC25BrokenLatch", "MREC26CutCable", "TiltDetected", "WaterIngressDetected", "EnclosureOpen",
    "ac_rcd_MREC2GroundFailure", "ac_rcd_VendorError", "ac_rcd_Selftest", "ac_rcd_AC", "ac_rcd_DC",
    "lock_ConnectorLockCapNotCharged", "lock_ConnectorLockUnexpectedOpen",
    "lock_ConnectorLockUnexpectedClose", "lock_ConnectorLockFailedLock",
    "lock_ConnectorLockFailedUnlock", "lock_MREC1ConnectorLockFailure", "lock_VendorError",
]


def test_the_list_is_yetisimulators() -> None:
    """Read the list again from the EVerest snapshot when there is one (skip otherwise)."""
    if not EVEREST.is_dir():
        pytest.skip("no EVerest snapshot on this machine")
    source = subprocess.run(["git", "--git-dir", str(EVEREST), "show", f"HEAD:{YETI_ERRORS}"],
                            capture_output=True, text=True, check=True).stdout
    assert re.findall(r'error_type == "([^"]+)"', source) == YETI_ERROR_TYPES


def test_every_yeti_error_type_is_handled_one_way() -> None:
    assert not set(PHYSICAL) & set(REPORTED)
    assert set(YETI_ERROR_TYPES) <= set(PHYSICAL) | set(REPORTED)
    assert set(PHYSICAL.values()) <= set(FAULTS)


def test_reported_errors_are_declared_where_they_are_raised() -> None:
    """The car simulator can raise each reported error on the implementation named for it."""
    interfaces = Definitions.load().interfaces
    interface = {"main": "car_simulator", "powermeter": "powermeter"}
    for name, reported in REPORTED.items():
        assert reported.error_type in interfaces[interface[reported.implementation]].errors, name
        assert reported.why, name


@pytest.mark.parametrize(("error_type", "fault"), [
    ("DiodeFault", "diode_short"), ("MREC14PilotFault", "cp_short"), ("ac_rcd_DC", "rcm_trip"),
    ("MREC17EVSEContactorFault", "relay1_welded"), ("MREC23ProximityFault", "pp_short"),
    ("MREC4OverCurrentFailure", "car_overdraw"), ("MREC26CutCable", "cable_cut"),
    ("MREC20PartialInsertion", "pp_open"), ("lock_ConnectorLockUnexpectedOpen", "lock_forced_open"),
    ("lock_ConnectorLockUnexpectedClose", "lock_forced_closed"),
    ("lock_ConnectorLockCapNotCharged", "lock_capacitor_dead"), ("cable_cut", "cable_cut"),
])
def test_physical_faults(error_type: str, fault: str) -> None:
    assert lookup(error_type) == fault


@pytest.mark.parametrize(("error_type", "everest_type", "implementation"), [
    ("MREC8EmergencyStop", "evse_board_support/MREC8EmergencyStop", "main"),
    ("BrownOut", "evse_board_support/BrownOut", "main"),
    ("ac_rcd_Selftest", "ac_rcd/Selftest", "main"),
    ("lock_VendorError", "connector_lock/VendorError", "main"),
    ("powermeter/CommunicationFault", "generic/CommunicationFault", "powermeter"),
])
def test_reported_errors(error_type: str, everest_type: str, implementation: str) -> None:
    reported = lookup(error_type)
    assert isinstance(reported, Reported)
    assert (reported.error_type, reported.implementation) == (everest_type, implementation)


def test_unknown_type() -> None:
    with pytest.raises(KeyError, match="unknown error_type 'Gremlins'; known: DiodeFault"):
        lookup("Gremlins")


# -- what the new faults do on the board --------------------------------------------------------
def charging(board: Board, evse: Evse, clock: ManualClock) -> None:
    """Car in C at 16 A wanted, 20 A (33.33 %) offered, relay 1 closed."""
    evse.drive(33.33)
    board.set_car_state("C")
    evse.hal.gpio_output("RELAY_1_ENABLE").write(True)
    clock.advance(0.1)


def test_overdraw_takes_more_than_the_pwm_offers(board: Board, evse: Evse,
                                                 clock: ManualClock) -> None:
    charging(board, evse, clock)
    assert board.snapshot()["meter"]["current_A"] == [16.0, 16.0, 16.0]
    board.set_fault("car_overdraw", True)
    offered = 33.33 * 0.6
    assert board.snapshot()["meter"]["current_A"] == pytest.approx([offered * OVERDRAW_FACTOR] * 3)
    board.set_fault("car_overdraw", False)
    assert board.snapshot()["meter"]["current_A"] == [16.0, 16.0, 16.0]


def test_a_cut_cable_looks_like_no_car(board: Board, evse: Evse, clock: ManualClock) -> None:
    charging(board, evse, clock)
    plugged = board.snapshot()
    board.set_fault("cable_cut", True)
    cut = board.snapshot()
    assert plugged["cp"]["levels_V"][0] < 7.0 and cut["cp"]["levels_V"][0] > 11.0  # C, then A
    assert cut["pp"]["resistor_ohm"] is None and cut["pp"]["voltage_V"] == round(PULL_UP_V, 3)
    assert cut["meter"]["current_A"] == [0.0, 0.0, 0.0]
    assert cut["car"]["state"] == "C"  # the car itself still wants to charge
    board.set_fault("cable_cut", False)
    assert board.snapshot()["cp"]["levels_V"] == plugged["cp"]["levels_V"]


def test_partial_insertion_opens_pp_only(board: Board, evse: Evse, clock: ManualClock) -> None:
    charging(board, evse, clock)
    levels = board.snapshot()["cp"]["levels_V"]
    board.set_fault("pp_open", True)
    state = board.snapshot()
    assert state["pp"]["resistor_ohm"] is None and state["cp"]["levels_V"] == levels
    board.set_fault("pp_open", False)
    assert board.snapshot()["pp"]["resistor_ohm"] == 220.0


@pytest.mark.parametrize(("fault", "held_state", "sense_v"), [
    ("lock_forced_open", "unlocked", 3.1), ("lock_forced_closed", "locked", 0.4)])
def test_a_held_lock_ignores_its_motor(board: Board, clock: ManualClock, fault: str,
                                       held_state: str, sense_v: float) -> None:
    board.set_fault(fault, True)
    # the motor drives towards the other end: backward (lock) or forward (unlock)
    towards_lock = held_state == "unlocked"
    board.write_line("MOTOR_1_DRIVER_IN1_N", towards_lock)
    board.write_line("MOTOR_1_DRIVER_IN2", towards_lock)
    assert board.plug_lock.motor == ("backward" if towards_lock else "forward")
    clock.advance(1.0)
    state = board.snapshot()
    assert (state["lock"]["state"], state["lock"]["sense_V"], state["faults"]) == (
        held_state, sense_v, [fault])
    board.set_fault(fault, False)
    assert board.faults() == []


def test_a_dead_capacitor_stays_empty(board: Board, clock: ManualClock) -> None:
    clock.advance(5.0)
    assert board.snapshot()["lock"]["capacitor_V"] > 12.0
    board.set_fault("lock_capacitor_dead", True)
    assert board.snapshot()["lock"]["capacitor_V"] == 0.0
