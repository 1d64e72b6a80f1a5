"""carsim/error names: every YetiSimulator error type is either a physical fault or refused by name."""

from __future__ import annotations

import pytest

from pycharge.simulation.board import FAULTS
from pycharge.simulation.faults import ERROR_TYPES, NOT_MODELLED, board_fault

# the error_type strings YetiSimulator's util/errors.cpp accepts on carsim/error (EVerest 2026.02)
YETI_ERROR_TYPES = [
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


def test_every_yeti_error_type_is_mapped_or_refused_by_name() -> None:
    assert not set(ERROR_TYPES) & set(NOT_MODELLED)
    assert set(YETI_ERROR_TYPES) <= set(ERROR_TYPES) | set(NOT_MODELLED)
    assert set(ERROR_TYPES.values()) <= set(FAULTS)


@pytest.mark.parametrize(("error_type", "fault"), [
    ("DiodeFault", "diode_short"), ("MREC14PilotFault", "cp_short"), ("ac_rcd_DC", "rcm_trip"),
    ("MREC17EVSEContactorFault", "relay1_welded"), ("MREC23ProximityFault", "pp_short"),
    ("lock_ConnectorLockFailedLock", "lock_jammed"), ("lock_ConnectorLockFailedUnlock", "lock_jammed"),
])
def test_physical_faults(error_type: str, fault: str) -> None:
    assert board_fault(error_type) == fault


@pytest.mark.parametrize("error_type", sorted(NOT_MODELLED))
def test_not_modelled_types_are_refused_with_their_reason(error_type: str) -> None:
    with pytest.raises(KeyError, match=f"'{error_type}' is not modelled: "):
        board_fault(error_type)


def test_unknown_type() -> None:
    with pytest.raises(KeyError, match="unknown error_type 'Gremlins'"):
        board_fault("Gremlins")
