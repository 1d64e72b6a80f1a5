"""What each ``error_type`` on EVerest's ``carsim/error`` topic does here.

YetiSimulator (EVerest's simulated board) raises the named EVerest error itself. Here the
simulated board gets the physical fault behind it wherever the board has one, so the real
driver (or EvseManager, or the plug lock module) has to detect it (:data:`PHYSICAL`). An error
type with nothing physical behind it on Charge Control C is raised and cleared by the car
simulator on its own error interface, as YetiSimulator raises it on its own (:data:`REPORTED`).
Anything else is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycharge.simulation.board import FAULTS

# error_type -> board fault (see board.FAULTS). YetiSimulator's names, plus plain ones for the
# relay faults it has no name for.
PHYSICAL: dict[str, str] = {
    "DiodeFault": "diode_short",
    "MREC14PilotFault": "cp_short",
    "CPShort": "cp_short",
    "MREC2GroundFailure": "rcm_trip",
    "ac_rcd_MREC2GroundFailure": "rcm_trip",
    "ac_rcd_DC": "rcm_trip",
    "ac_rcd_AC": "rcm_trip",
    "RCMTrip": "rcm_trip",
    "MREC17EVSEContactorFault": "relay1_welded",
    "RelayWelded": "relay1_welded",
    "Relay2Welded": "relay2_welded",
    "RelayStuck": "relay1_stuck",
    "Relay2Stuck": "relay2_stuck",
    "MREC23ProximityFault": "pp_short",
    "MREC20PartialInsertion": "pp_open",
    "MREC26CutCable": "cable_cut",
    "MREC4OverCurrentFailure": "car_overdraw",
    "lock_MREC1ConnectorLockFailure": "lock_jammed",
    "LockJammed": "lock_jammed",
    "lock_ConnectorLockFailedLock": "lock_jammed",
    "lock_ConnectorLockFailedUnlock": "lock_jammed",
    "lock_ConnectorLockUnexpectedOpen": "lock_forced_open",
    "lock_ConnectorLockUnexpectedClose": "lock_forced_closed",
    "lock_ConnectorLockCapNotCharged": "lock_capacitor_dead",
}


@dataclass(frozen=True)
class Reported:
    """An error the car simulator raises on its implementation ``implementation``."""

    error_type: str
    implementation: str
    why: str


_NO_SUPPLY = "mains voltage: Charge Control C does not measure it (the meter is outside)"
_NO_SENSOR = "the board has no input for such a sensor"
_REASONS: dict[str, tuple[str, ...]] = {
    _NO_SUPPLY: ("MREC5OverVoltage", "MREC6UnderVoltage", "MREC15PowerLoss",
                 "MREC24ConnectorVoltageHigh"),
    "the board's own supply: the model has no brown-out detector": ("BrownOut",),
    _NO_SENSOR: ("MREC3HighTemperature", "MREC8EmergencyStop", "MREC18CableOverTempDerate",
                 "MREC19CableOverTempStop", "TiltDetected", "WaterIngressDetected",
                 "EnclosureOpen"),
    "the cable's own latch: the board does not sense it": ("MREC25BrokenLatch",),
    "a reporting state with no hardware behind it": ("EnergyManagement", "PermanentFault"),
    "reported by an IEC stack about the vehicle's mode, no signal of its own":
        ("MREC10InvalidVehicleMode",),
}
_DEVICE_ERRORS = {  # error_type -> (EVerest error type, why)
    "ac_rcd_VendorError": ("ac_rcd/VendorError", "a vendor state inside the RCM device"),
    "ac_rcd_Selftest": ("ac_rcd/Selftest", "the RCM's self test: the driver does not run one"),
    "lock_VendorError": ("connector_lock/VendorError", "a vendor state inside the lock actuator"),
}

# error_type -> the error raised instead (YetiSimulator's error types for each)
REPORTED: dict[str, Reported] = {
    **{name: Reported(f"evse_board_support/{name}", "main", why)
       for why, names in _REASONS.items() for name in names},
    **{name: Reported(everest_type, "main", why)
       for name, (everest_type, why) in _DEVICE_ERRORS.items()},
    # the powermeter interface carries generic errors; the meter also stops publishing
    "powermeter/CommunicationFault": Reported(
        "generic/CommunicationFault", "powermeter",
        "the meter stops answering: no value is published while it lasts"),
}


def lookup(error_type: str) -> str | Reported:
    """The board fault (a :data:`FAULTS` name) or the reported error behind ``error_type``.

    A board fault's own name is accepted too. Raises KeyError naming the known types.
    """
    if error_type in FAULTS:
        return error_type
    found = PHYSICAL.get(error_type) or REPORTED.get(error_type)
    if found is None:
        raise KeyError(f"unknown error_type {error_type!r}; known: "
                       f"{', '.join([*PHYSICAL, *REPORTED, *FAULTS])}")
    return found
