"""ReserveNow and CancelReservation (OCPP 1.6 §5.13 and §5.2), decided by the ``reservation``
requirement (Auth's reservations, which keep the EVSE for the token and end the reservation).

Rejected without the Reservation profile in SupportedFeatureProfiles or without a module
providing reservations, for an unknown connector, and for connector 0 (any connector) unless
ReserveConnectorZeroSupported. The connector's status follows EvseManager's ReservationStart
and ReservationEnd events (transactions.py); StartTransaction carries the reservation's id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pycharge.modules.OCPP.answers import answer_of
from pycharge.modules.OCPP.configuration_keys import supports
from pycharge.runtime.module import Connection

PROFILE = "Reservation"


class Reservations:
    def __init__(self, provider: Connection | None, setting: Callable[[str], Any],
                 connectors: int, log: logging.Logger) -> None:
        self.provider, self.setting, self.connectors, self.log = provider, setting, connectors, log

    def _usable(self) -> bool:
        return self.provider is not None and supports(self.setting("SupportedFeatureProfiles"),
                                                      PROFILE)

    def reserve_now(self, request: dict[str, Any]) -> Future | str:
        connector = request["connector_id"]
        if not self._usable() or not 0 <= connector <= self.connectors or (
                connector == 0 and not self.setting("ReserveConnectorZeroSupported")):
            return "Rejected"
        reservation: dict[str, Any] = {"reservation_id": request["reservation_id"],
                                       "id_token": request["id_tag"],
                                       "expiry_time": request["expiry_date"]}
        if connector > 0:
            reservation["evse_id"] = connector
        if request.get("parent_id_tag"):
            reservation["parent_id_token"] = request["parent_id_tag"]
        assert self.provider is not None
        return answer_of(self.provider.call_async("reserve_now", request=reservation), str,
                         "Rejected", self.log)

    def cancel(self, reservation_id: int) -> Future | str:
        if not self._usable():
            return "Rejected"
        assert self.provider is not None
        return answer_of(self.provider.call_async("cancel_reservation",
                                                  reservation_id=reservation_id),
                         lambda cancelled: "Accepted" if cancelled else "Rejected", "Rejected",
                         self.log)
