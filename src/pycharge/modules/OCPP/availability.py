"""ChangeAvailability (OCPP 1.6 §5.3): the CSMS makes a connector, or all of them (connector 0),
Operative or Inoperative, through EvseManager's enable_disable with source CSMS.

A connector with a transaction changes when the transaction ends (the answer is Scheduled).
What the CSMS asked for is kept in ``availability.json`` under DatabasePath, written so that a
power cut leaves the old or the new file, and applied again at start-up: §5.3 says the
availability persists across a reboot.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pycharge.modules.OCPP.transactions import Connector
from pycharge.runtime.durable_files import write_atomically
from pycharge.runtime.module import Connection

CSMS_PRIORITY = 5000  # EVerest's OCPP module uses this priority for the CSMS's requests


class Availability:
    def __init__(self, evses: list[Connection], connectors: list[Connector], database: Path,
                 log: logging.Logger) -> None:
        self.evses, self.connectors, self.log = evses, connectors, log
        self.path = database / "availability.json"
        self.inoperative: set[int] = self._load()
        self.pending: dict[int, bool] = {}  # connector id -> operative, once its transaction ends

    def _load(self) -> set[int]:
        try:
            ids = json.loads(self.path.read_text())["inoperative"]
        except FileNotFoundError:
            return set()
        except (ValueError, KeyError, TypeError) as exc:
            self.log.error("%s is unreadable (%s): every connector starts Operative", self.path,
                           exc)
            return set()
        return {i for i in ids if isinstance(i, int) and 1 <= i <= len(self.connectors)}

    def restore(self) -> None:
        """At start-up: the connectors the CSMS made Inoperative stay so."""
        for connector_id in sorted(self.inoperative):
            self._apply(connector_id, False)

    def station_status(self) -> str:
        """Connector 0's status: Unavailable once every connector is Inoperative."""
        return "Unavailable" if len(self.inoperative) == len(self.connectors) else "Available"

    def change(self, connector_id: int, kind: str) -> str:
        if not 0 <= connector_id <= len(self.connectors):
            return "Rejected"
        operative = kind == "Operative"
        scheduled = False
        for connector in self.connectors:
            if connector_id not in (0, connector.id):
                continue
            if operative:
                self.inoperative.discard(connector.id)
            else:
                self.inoperative.add(connector.id)
            if connector.local_tx is not None:
                self.pending[connector.id] = operative
                scheduled = True
            else:
                self.pending.pop(connector.id, None)
                self._apply(connector.id, operative)
        write_atomically(self.path, json.dumps({"inoperative": sorted(self.inoperative)}).encode())
        return "Scheduled" if scheduled else "Accepted"

    def transaction_finished(self, connector: Connector) -> None:
        operative = self.pending.pop(connector.id, None)
        if operative is not None:
            self._apply(connector.id, operative)

    def _apply(self, connector_id: int, operative: bool) -> None:
        self.log.info("connector %d %s by the CSMS", connector_id,
                      "Operative" if operative else "Inoperative")
        self.evses[connector_id - 1].call_async("enable_disable", connector_id=0, cmd_source={
            "enable_source": "CSMS", "enable_state": "Enable" if operative else "Disable",
            "enable_priority": CSMS_PRIORITY})
