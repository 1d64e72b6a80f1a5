"""Fault injection by name, as EVerest's ``carsim/error`` topic carries it.

YetiSimulator raises the named EVerest error itself; here the simulated board gets the physical
fault behind it instead, so the real driver has to detect it. Names from YetiSimulator where
one fits, and plain ones for the relay faults it has no name for.
"""

from __future__ import annotations

from pycharge.simulation.board import FAULTS

# error_type -> board fault (see board.FAULTS)
ERROR_TYPES: dict[str, str] = {
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
    "lock_MREC1ConnectorLockFailure": "lock_jammed",
    "LockJammed": "lock_jammed",
    "lock_ConnectorLockFailedLock": "lock_jammed",
    "lock_ConnectorLockFailedUnlock": "lock_jammed",
}

# YetiSimulator's other error types: no physical counterpart on the simulated board yet, so a
# message naming one is refused with this reason instead of being called unknown.
NOT_MODELLED: dict[str, str] = {
    name: reason
    for reason, names in {
        "a supply fault (the simulated board has no supply model)": (
            "BrownOut", "MREC5OverVoltage", "MREC6UnderVoltage", "MREC15PowerLoss",
            "MREC24ConnectorVoltageHigh"),
        "a board-internal state YetiSimulator raises directly, no sensor to fault": (
            "EnergyManagement", "PermanentFault", "MREC4OverCurrentFailure",
            "MREC10InvalidVehicleMode", "ac_rcd_VendorError", "ac_rcd_Selftest",
            "lock_VendorError", "lock_ConnectorLockCapNotCharged",
            "lock_ConnectorLockUnexpectedOpen", "lock_ConnectorLockUnexpectedClose"),
        "a sensor the Charge Control C board has no input for in the model": (
            "MREC3HighTemperature", "MREC8EmergencyStop", "MREC18CableOverTempDerate",
            "MREC19CableOverTempStop", "MREC20PartialInsertion", "MREC25BrokenLatch",
            "MREC26CutCable", "TiltDetected", "WaterIngressDetected", "EnclosureOpen"),
    }.items()
    for name in names
}


def board_fault(error_type: str) -> str:
    """The board fault behind ``error_type`` (or a board fault's own name); else KeyError."""
    if error_type in FAULTS:
        return error_type
    if error_type in NOT_MODELLED:
        raise KeyError(f"error_type {error_type!r} is not modelled: {NOT_MODELLED[error_type]}")
    try:
        return ERROR_TYPES[error_type]
    except KeyError:
        raise KeyError(f"unknown error_type {error_type!r}; known: {', '.join(ERROR_TYPES)}") \
            from None
