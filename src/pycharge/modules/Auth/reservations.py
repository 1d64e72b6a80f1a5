"""Reservations: an EVSE (or any EVSE, ``evse_id`` left out) kept for one token until it expires.

EVerest's ``reservation`` interface, with OCPP 1.6 §5.13's rules: a reservation is refused on an
EVSE that is faulted (Faulted), disabled (Unavailable) or in use or reserved by another id
(Occupied); the same id again replaces the reservation. While it lasts, only its token or a
token of its parent group may be authorized on the EVSE; a reservation for any EVSE keeps one
free EVSE back from other tokens. It ends when its token starts a transaction (Used), at its
expiry (Expired) or by cancel_reservation (Cancelled). EvseManager is told, so that its session
events (ReservationStart/End) show the EVSE reserved. Reservations are kept in memory: a
restart ends them, as the CSMS learns from the connectors' status after the boot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pycharge.modules.Auth.evse_context import EvseContext
from pycharge.runtime.clock import parse_rfc3339

if TYPE_CHECKING:
    from pycharge.modules.Auth.module import Auth
    from pycharge.runtime.timers import Timer


@dataclass
class Reservation:
    reservation_id: int
    id_token: str
    parent_id_token: str | None
    evse: EvseContext | None  # None: any EVSE
    timer: Timer | None = None

    def admits(self, value: str, parent: str | None) -> bool:
        """Whether a token (``value``, its group ``parent``) may use this reservation."""
        if value.lower() == self.id_token.lower():
            return True
        return self.parent_id_token is not None and parent is not None and \
            parent.lower() == self.parent_id_token.lower()


def _refusal(evse: EvseContext) -> str | None:
    if evse.faulted:
        return "Faulted"
    if not evse.enabled:
        return "Unavailable"
    if evse.plugged_in or evse.occupied or evse.identifier is not None:
        return "Occupied"
    return None


class Reservations:
    def __init__(self, module: Auth, evses: list[EvseContext]) -> None:
        self.m = module
        self.evses = evses
        self.by_id: dict[int, Reservation] = {}

    # -- the interface's commands ----------------------------------------------------------------
    def reserve_now(self, request: dict[str, Any]) -> str:
        evse_id = request.get("evse_id") or None  # 0 is OCPP's "any connector"
        reservation_id = request["reservation_id"]
        replaced = self.by_id.get(reservation_id)
        evse = None
        if evse_id is not None:
            evse = next((e for e in self.evses if e.evse_id == evse_id), None)
            if evse is None:
                return "Rejected"
            refusal = _refusal(evse)
            holder = self.on(evse)
            if refusal is None and holder is not None and holder.reservation_id != reservation_id:
                refusal = "Occupied"
            if refusal is not None:
                self.m.log.info("reservation %d on EVSE %d refused: %s", reservation_id,
                                evse_id, refusal)
                return refusal
        elif self._free_for_others(None, exclude=replaced) <= 0:
            return "Occupied"
        delay = (parse_rfc3339(request["expiry_time"]) - datetime.now(timezone.utc)).total_seconds()
        if delay <= 0:
            return "Rejected"
        if replaced is not None:
            self._end(replaced, None)
        reservation = Reservation(reservation_id, request["id_token"],
                                  request.get("parent_id_token"), evse)
        reservation.timer = self.m.call_later(delay, self._end, reservation, "Expired")
        self.by_id[reservation_id] = reservation
        if evse is not None:
            self.m.call_evse(evse, "reserve", reservation_id=reservation_id)
        self._update(reservation_id, "Placed")
        return "Accepted"

    def cancel(self, reservation_id: int) -> bool:
        reservation = self.by_id.get(reservation_id)
        if reservation is None:
            return False
        self._end(reservation, "Cancelled")
        return True

    def exists(self, request: dict[str, Any]) -> str:
        evse = next((e for e in self.evses if e.evse_id == request.get("evse_id")), None)
        reservation = self.on(evse) if evse is not None else None
        if reservation is None:
            reservation = next((r for r in self.by_id.values() if r.evse is None and r.admits(
                request["id_token"], request.get("group_id_token"))), None)
        if reservation is None:
            return "NotReserved"
        if reservation.admits(request["id_token"], request.get("group_id_token")):
            return "ReservedForToken"
        return "ReservedForOtherTokenAndHasParentToken" if reservation.parent_id_token \
            else "ReservedForOtherToken"

    # -- for the token flow ------------------------------------------------------------------------
    def on(self, evse: EvseContext) -> Reservation | None:
        return next((r for r in self.by_id.values() if r.evse is evse), None)

    def usable(self, evse: EvseContext, value: str, parent: str | None) -> Reservation | None:
        """The reservation the token would use on ``evse``; raises LookupError if the EVSE is
        kept for somebody else."""
        reservation = self.on(evse)
        if reservation is not None:
            if reservation.admits(value, parent):
                return reservation
            raise LookupError(f"EVSE {evse.evse_id} is reserved ({reservation.reservation_id})")
        anywhere = next((r for r in self.by_id.values()
                         if r.evse is None and r.admits(value, parent)), None)
        if anywhere is None and self._free_for_others(evse, exclude=None) < 0:
            raise LookupError(f"EVSE {evse.evse_id} is kept for a reservation of any EVSE")
        return anywhere

    def used(self, reservation_id: int) -> None:
        """A transaction started with the reservation (EvseManager's TransactionStarted)."""
        reservation = self.by_id.get(reservation_id)
        if reservation is not None:
            self._end(reservation, "Used", tell_evse=False)

    # -- inside ----------------------------------------------------------------------------------
    def _free_for_others(self, taking: EvseContext | None, exclude: Reservation | None) -> int:
        """Free EVSEs left over after the reservations of any EVSE, ``taking`` not counted."""
        free = [e for e in self.evses if e is not taking and _refusal(e) is None
                and self.on(e) is None]
        anywhere = [r for r in self.by_id.values() if r.evse is None and r is not exclude]
        return len(free) - len(anywhere)

    def _end(self, reservation: Reservation, status: str | None, tell_evse: bool = True) -> None:
        if self.by_id.get(reservation.reservation_id) is not reservation:
            return
        del self.by_id[reservation.reservation_id]
        if reservation.timer is not None:
            reservation.timer.cancel()
        if tell_evse and reservation.evse is not None:
            self.m.call_evse(reservation.evse, "cancel_reservation")
        if status is not None:
            self.m.log.info("reservation %d: %s", reservation.reservation_id, status)
            self._update(reservation.reservation_id, status)

    def _update(self, reservation_id: int, status: str) -> None:
        self.m.impl["reservation"].publish("reservation_update", {
            "reservation_id": reservation_id, "reservation_status": status})
