"""A charging session as others see it: its id, its events and the meter readings they carry.

Every ``session_event`` names the session id (empty outside a session), an RFC 3339 timestamp
and, depending on the event, the details EVerest attaches (meter value, reasons, token, source).
The meter value is the latest reading of the billing meter; without a meter it is a reading of
0 Wh at the time of the event, so consumers always find the required field.
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from pycharge.runtime.clock import rfc3339

STATE_CHANGE_EVENTS = ("ChargingStarted", "ChargingPausedEV", "ChargingPausedEVSE")
AUTHORIZATION_EVENTS = ("Authorized", "Deauthorized")
IEC61851 = "IEC61851-1"
UNKNOWN_PROTOCOL = "Unknown"


def new_session_id(id_type: str) -> str:
    """A session id as configured: UUID (36 characters), UUID_BASE64 (22), SHORT_BASE64 (16)."""
    if id_type == "UUID_BASE64":
        return base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if id_type == "SHORT_BASE64":
        return base64.b64encode(os.urandom(12)).decode()
    return str(uuid.uuid4())


class Session:
    """Publishes the session events; knows the session id and the latest meter reading.

    ``publish(event)`` sends one ``SessionEvent``; ``on_protocol(name)`` is told the selected
    protocol whenever it changes.
    """

    def __init__(self, publish: Callable[[dict[str, Any]], None],
                 on_protocol: Callable[[str], None], now: Callable[[], float], id_type: str,
                 log: logging.Logger) -> None:
        self._publish = publish
        self._on_protocol = on_protocol
        self._now = now
        self.id_type = id_type
        self.log = log
        self.uuid = ""
        self.active = False
        self.meter: dict[str, Any] | None = None
        self.protocol = UNKNOWN_PROTOCOL
        self._transaction_energy: float | None = None
        self._transaction_since = 0.0
        self.reservation_id: int | None = None  # None: not reserved; -1: reserved without id

    def meter_value(self) -> dict[str, Any]:
        """The latest billing reading, or 0 Wh now if there is no meter."""
        if self.meter is not None:
            return self.meter
        return {"timestamp": rfc3339(), "energy_Wh_import": {"total": 0.0}}

    def emit(self, event: str, **details: Any) -> None:
        """Publish ``event`` with the details EVerest attaches to it."""
        if event in STATE_CHANGE_EVENTS:
            details["charging_state_changed_event"] = {"meter_value": self.meter_value()}
        elif event in AUTHORIZATION_EVENTS:
            details["authorization_event"] = {"meter_value": self.meter_value()}
        self._publish({"uuid": self.uuid, "timestamp": rfc3339(), "event": event, **details})

    # -- session -------------------------------------------------------------------------------
    def start(self, reason: str, id_tag: dict[str, Any] | None) -> None:
        """A new session: plug-in (EVConnected) or an authorization before plug-in."""
        self.uuid = new_session_id(self.id_type)
        self.active = True
        self._set_protocol(IEC61851)
        started: dict[str, Any] = {"reason": reason, "meter_value": self.meter_value()}
        if id_tag is not None:
            started["id_tag"] = id_tag
        if self.reservation_id is not None:
            started["reservation_id"] = self.reservation_id
            if reason == "Authorized":
                self.cancel_reservation(signal=False)
        self.log.info("session %s started (%s)", self.uuid, reason)
        self.emit("SessionStarted", session_started=started)

    def finish(self) -> None:
        self.emit("SessionFinished", session_finished={"meter_value": self.meter_value()})
        self.log.info("session %s finished", self.uuid)
        self.uuid = ""
        self.active = False
        self._set_protocol(UNKNOWN_PROTOCOL)

    # -- transaction ---------------------------------------------------------------------------
    def transaction_started(self, id_tag: dict[str, Any]) -> None:
        meter_value = self.meter_value()
        started: dict[str, Any] = {"id_tag": id_tag, "meter_value": meter_value}
        if self.reservation_id is not None:
            started["reservation_id"] = self.reservation_id
            self.cancel_reservation(signal=False)  # the reservation is used up
        self._transaction_energy = float(meter_value["energy_Wh_import"]["total"])
        self._transaction_since = self._now()
        self.emit("TransactionStarted", transaction_started=started)

    def transaction_finished(self, reason: str, id_tag: dict[str, Any] | None,
                             signed: dict[str, Any]) -> None:
        """ChargingFinished, then TransactionFinished (with the meter's signed values, if any)."""
        meter_value = self.meter_value()
        finished: dict[str, Any] = {"meter_value": meter_value, "reason": reason, **signed}
        if id_tag is not None:
            finished["id_tag"] = id_tag
        if self._transaction_energy is not None:  # session info from the billing meter
            energy = float(meter_value["energy_Wh_import"]["total"]) - self._transaction_energy
            duration = self._now() - self._transaction_since
            self.log.info("transaction finished: %s, %.3f kWh in %.0f s (%.2f kW on average)",
                          reason, energy / 1000, duration, energy * 3.6 / max(duration, 1.0))
        self._transaction_energy = None
        self.emit("ChargingFinished")
        self.emit("TransactionFinished", transaction_finished=finished)
        self._set_protocol(UNKNOWN_PROTOCOL)

    # -- other events --------------------------------------------------------------------------
    def paused_by_evse(self, reasons: list[str]) -> None:
        self.emit("ChargingPausedEVSE", charging_paused_evse={"reasons": reasons})

    def enabled_changed(self, enabled: bool, source: dict[str, Any],
                        connector_id: int | None) -> None:
        details: dict[str, Any] = {"source": source}
        if connector_id is not None:
            details["connector_id"] = connector_id
        self.emit("Enabled" if enabled else "Disabled", **details)

    # -- reservation ----------------------------------------------------------------------------
    def reserve(self, reservation_id: int, signal: bool = True) -> bool:
        """Reserve (the caller checked the EVSE is idle and operative); same id renews it.

        A negative id reserves without an id of its own (EVerest: total global reservations).
        """
        if self.reservation_id is not None and self.reservation_id not in (-1, reservation_id):
            return False
        renewing = self.reservation_id == reservation_id
        if reservation_id >= 0 or self.reservation_id is None:
            self.reservation_id = reservation_id if reservation_id >= 0 else -1
        if signal and (not renewing or self.reservation_id == -1):
            self._publish({"uuid": "", "timestamp": rfc3339(), "event": "ReservationStart"})
        return True

    def cancel_reservation(self, signal: bool = True) -> None:
        if self.reservation_id is None:
            return
        self.reservation_id = None
        if signal:
            self._publish({"uuid": "", "timestamp": rfc3339(), "event": "ReservationEnd"})

    def _set_protocol(self, protocol: str) -> None:
        if protocol != self.protocol:
            self.protocol = protocol
            self._on_protocol(protocol)
