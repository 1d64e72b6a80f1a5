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
}


def board_fault(error_type: str) -> str:
    """The board fault behind ``error_type`` (or a board fault's own name); else KeyError."""
    if error_type in FAULTS:
        return error_type
    try:
        return ERROR_TYPES[error_type]
    except KeyError:
        raise KeyError(f"unknown error_type {error_type!r}; known: {', '.join(ERROR_TYPES)}") \
            from None
