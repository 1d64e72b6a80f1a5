"""EvseManager's session events as OCPP 1.6 connector status and transaction messages."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

STATUS = {"Enabled": "Available", "SessionStarted": "Preparing", "AuthRequired": "Preparing",
          "TransactionStarted": "Charging", "ChargingStarted": "Charging",
          "ChargingResumed": "Charging", "ChargingPausedEV": "SuspendedEV",
          "ChargingPausedEVSE": "SuspendedEVSE", "WaitingForEnergy": "SuspendedEVSE",
          "TransactionFinished": "Finishing", "SessionFinished": "Available",
          "Disabled": "Unavailable", "Error": "Faulted", "AllErrorsCleared": "Available",
          "ReservationStart": "Reserved", "ReservationEnd": "Available"}

REASONS_16 = {"EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss",
              "Reboot", "Remote", "SoftReset", "UnlockCommand", "DeAuthorized"}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace(
        "+00:00", "Z")


def wh(meter: dict[str, Any]) -> int:
    return int(meter["energy_Wh_import"]["total"])


@dataclass
class Connector:
    """One EvseManager as OCPP's connector ``id``."""

    id: int
    status: str = "Available"
    local_tx: str | None = None
    transaction_id: int | None = None
    id_tag: str = ""
    meter: dict[str, Any] = field(default_factory=dict)  # the latest Powermeter reading
    transaction_data: list[dict[str, Any]] = field(default_factory=list)  # see metering.py

    def status_notification(self) -> dict[str, Any]:
        return {"connector_id": self.id, "error_code": "NoError", "status": self.status,
                "timestamp": now()}

    def on_event(self, event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The transaction messages an event makes; updates ``status``."""
        name = event.get("event")
        self.status = STATUS.get(name, self.status)
        if name == "TransactionStarted":
            started = event["transaction_started"]
            self.local_tx, self.transaction_id = uuid.uuid4().hex, None
            self.id_tag = started["id_tag"]["id_token"]["value"]
            start = {"connector_id": self.id, "id_tag": self.id_tag,
                     "meter_start": wh(started["meter_value"]), "timestamp": now()}
            if "reservation_id" in started:
                start["reservation_id"] = started["reservation_id"]
            return [("StartTransaction", start)]
        if name == "TransactionFinished" and self.local_tx is not None:
            finished = event["transaction_finished"]
            reason = finished.get("reason", "Other")
            self.local_tx = None
            return [("StopTransaction", {"meter_stop": wh(finished["meter_value"]),
                                         "timestamp": now(),
                                         "reason": reason if reason in REASONS_16 else "Other",
                                         "id_tag": self.id_tag or None})]
        return []
