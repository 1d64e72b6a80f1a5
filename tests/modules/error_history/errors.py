"""Errors as the runtime delivers them, for the error history tests."""

from __future__ import annotations

from dataclasses import replace

from pycharge.runtime.errors import CLEARED_BY_MODULE, Error


def error(number: int | str, error_type: str = "evse_board_support/DiodeFault",
          severity: str = "High", module_id: str = "bsp", impl_id: str = "evse_board_support",
          timestamp: str = "2026-03-01T12:00:00.000Z", sub_type: str = "") -> Error:
    return Error(type=error_type, sub_type=sub_type, message=f"message {number}",
                 description="what it means", severity=severity,
                 origin={"module_id": module_id, "implementation_id": impl_id},
                 timestamp=timestamp, uuid=f"uuid-{number}", vendor_id="pycharge")


def cleared(raised: Error) -> Error:
    return replace(raised, state=CLEARED_BY_MODULE, timestamp="2026-03-01T13:00:00.000Z")
