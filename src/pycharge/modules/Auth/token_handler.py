"""One token from its arrival to its outcome (EVerest's AuthHandler).

Arrival -> Processing -> either it stops the transaction it (or its group) started, or it is
validated, an EVSE is picked and that EVSE is authorized -> UsedToStop / UsedToStart / Rejected
/ TimedOut / Withdrawn; each step is published as ``token_validation_status``. An EVSE reserved
for another token is not picked (reservations.py); one reserved for this token is authorized
with the reservation's id, which its transaction then carries. Validation and
the wait for a plug-in are asynchronous: nothing here blocks the module's thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pycharge.modules.Auth.evse_context import EvseContext, Identifier, same_token
from pycharge.modules.Auth.reservations import Reservation

if TYPE_CHECKING:
    from pycharge.modules.Auth.module import Auth
    from pycharge.runtime.timers import Timer

Token = dict[str, Any]
Result = dict[str, Any]
UNKNOWN: Result = {"authorization_status": "Unknown", "tariff_messages": []}


def redact(token: Token) -> str:
    """A token's value for logs: enough to tell tokens apart, not enough to copy one."""
    value = token["id_token"]["value"]
    return value[:2] + "*" * max(0, len(value) - 2)


def _key(token: Token) -> tuple[str, str]:
    return token["id_token"]["value"].lower(), token["id_token"]["type"]


@dataclass
class _Waiting:
    """An accepted token waiting for an EV to be plugged in (PlugEvents)."""

    token: Token
    result: Result
    evses: list[EvseContext]
    timer: Timer | None = None


class TokenHandler:
    def __init__(self, module: Auth, evses: list[EvseContext], config: Mapping[str, Any]) -> None:
        self.m = module
        self.evses = evses
        self.selection = config["selection_algorithm"]
        self.connection_timeout: int = config["connection_timeout"]
        self.master_pass: str | None = config["master_pass_group_id"] or None
        self.prioritize_authorization = config["prioritize_authorization_over_stopping_transaction"]
        self.plug_in_timeout_enabled = config["plug_in_timeout_enabled"]
        self.plug_in_queue: list[EvseContext] = []
        self.in_process: set[tuple[str, str]] = set()
        self.waiting: list[_Waiting] = []
        self.started = False

    # -- outcome ---------------------------------------------------------------------------------
    def _status(self, token: Token, status: str, messages: list[Any] | None = None) -> None:
        message: dict[str, Any] = {"token": token, "status": status}
        if messages:
            message["messages"] = messages
        self.m.impl["main"].publish("token_validation_status", message)

    def _finish(self, token: Token, status: str | None) -> None:
        self.in_process.discard(_key(token))
        if status is not None:
            self._status(token, status)
        self.m.log.info("token %s: %s", redact(token), status or "already in process")

    def _stop(self, evse: EvseContext, reason: str, token: Token | None = None) -> None:
        request: dict[str, Any] = {"reason": reason}
        if token is not None:
            request["id_tag"] = token
        self.m.call_evse(evse, "stop_transaction", request=request)

    # -- arrival ---------------------------------------------------------------------------------
    def referenced(self, token: Token) -> list[EvseContext]:
        """The enabled EVSEs the token may be used at (its ``connectors``, or all)."""
        connectors = token.get("connectors")
        if connectors is None:
            return [e for e in self.evses if e.enabled]
        by_id = {e.evse_id: e for e in self.evses}
        unknown = [c for c in connectors if c not in by_id]
        if unknown:
            self.m.log.warning("token %s refers to unknown EVSE(s) %s", redact(token), unknown)
        return [by_id[c] for c in connectors if c in by_id and by_id[c].enabled]

    def on_token(self, token: Token) -> None:
        if not self.started:
            self.m.log.warning("not started yet: token %s discarded", redact(token))
            return
        evses = self.referenced(token)
        value = token["id_token"]["value"]
        if _key(token) in self.in_process or any(
                e.identifier and same_token(e.identifier.id_token, value) and not e.transaction_active
                for e in evses):
            self.m.log.info("token %s is already being handled", redact(token))
            return
        self.in_process.add(_key(token))
        self._status(token, "Processing")
        if token["authorization_type"] == "RFID":
            used = next((e for e in evses if e.used_by(value)), None)
            if used is not None:
                self._stop(used, "Local", token)
                stopped = {**token, "connectors": [used.evse_id]}
                if used.identifier and used.identifier.parent_id_token:
                    stopped["parent_id_token"] = used.identifier.parent_id_token
                self._finish(stopped, "UsedToStop")
                return
        if not any(e.available() for e in evses) and self.master_pass is None and not any(
                e.identifier and e.identifier.parent_id_token for e in evses):
            self._finish(token, "Rejected")
            return
        if token.get("prevalidated"):
            result: Result = {"authorization_status": "Accepted", "tariff_messages": []}
            if "parent_id_token" in token:
                result["parent_id_token"] = token["parent_id_token"]
            self._validated(token, evses, [result])
            return
        self._validate(token, evses)

    def _validate(self, token: Token, evses: list[EvseContext]) -> None:
        validators = self.m.connections("token_validator")
        results: list[Result | None] = [None] * len(validators)

        def answered(index: int, future: Any) -> None:
            error = future.exception()
            if error is not None:
                self.m.log.warning("validator %s failed: %s", validators[index].module_id, error)
            results[index] = UNKNOWN if error is not None else future.result()
            if all(r is not None for r in results):
                self._validated(token, evses, [r for r in results if r is not None])

        for index, validator in enumerate(validators):
            validator.call_async("validate_token", provided_token=token).add_done_callback(
                lambda future, index=index: answered(index, future))

    # -- after validation --------------------------------------------------------------------------
    def _is_master(self, parent: Token | None) -> bool:
        return self.master_pass is not None and same_token(parent, self.master_pass)

    def _validated(self, token: Token, evses: list[EvseContext], results: list[Result]) -> None:
        if not self.prioritize_authorization or not any(e.available() for e in evses):
            for result in results:
                parent = result.get("parent_id_token")
                if result["authorization_status"] != "Accepted" or parent is None:
                    continue
                if self._is_master(parent):
                    stopped = [e for e in evses if e.transaction_active]
                    for evse in stopped:
                        self._stop(evse, "MasterPass", token)
                    self._finish({**token, "parent_id_token": parent,
                                  "connectors": [e.evse_id for e in stopped]}, "UsedToStop")
                    return
                used = next((e for e in evses if e.used_by(parent["value"])), None)
                if used is not None:
                    if not used.transaction_active:
                        self._finish(token, None)
                        return
                    self._stop(used, "Local", token)
                    self._finish({**token, "parent_id_token": parent}, "UsedToStop")
                    return
        if not any(e.available() for e in evses):
            self._finish(token, "Rejected")
            return
        self._authorize_first(token, [e for e in evses if e.identifier is None], results)

    def _authorize_first(self, token: Token, candidates: list[EvseContext],
                         results: list[Result]) -> None:
        """Use the first accepting result that has an EVSE for the token."""
        last = UNKNOWN
        for result in results:
            if not candidates:
                break
            if result["authorization_status"] != "Accepted":
                last = result
                continue
            parent = result.get("parent_id_token")
            if self._is_master(parent):
                self.m.log.info("token %s belongs to the master pass group: it cannot start a "
                                "transaction", redact(token))
                self._finish(token, "Rejected")
                return
            if parent is not None:
                token = {**token, "parent_id_token": parent}
            self._status(token, "Accepted", result.get("tariff_messages"))
            allowed = [e for e in candidates
                       if "evse_ids" not in result or e.evse_id in result["evse_ids"]]
            if not allowed:
                last = {**result, "authorization_status": "NotAtThisLocation"}
                continue
            allowed = [e for e in allowed if self._reservation(e, token, result) is not False]
            if not allowed:
                last = {**result, "authorization_status": "NotAtThisTime"}
                continue
            evse = self._select(allowed)
            if evse is not None:
                self._authorize(evse, token, result)
            elif self.selection == "PlugEvents":
                self._wait_for_plug_in(token, result, allowed)
            else:
                self._finish(token, "TimedOut")
            return
        for evse_id in token.get("connectors") or []:  # tell the EVSEs named, e.g. for ISO 15118
            evse = next((e for e in self.evses if e.evse_id == evse_id), None)
            if evse is not None:
                self.m.call_evse(evse, "authorize_response", provided_token=token,
                                 validation_result=last)
        self._finish(token, "Rejected")

    def _first_plugged(self, evses: list[EvseContext]) -> EvseContext | None:
        return next((e for e in self.plug_in_queue if e in evses), None)

    def _select(self, evses: list[EvseContext]) -> EvseContext | None:
        if len(evses) == 1:
            return evses[0]
        plugged = self._first_plugged(evses)
        if self.selection == "PlugEvents":
            return plugged
        if plugged is not None and not plugged.transaction_active:
            return plugged
        return next((e for e in evses if e.available()), None)

    def _reservation(self, evse: EvseContext, token: Token, result: Result
                     ) -> Reservation | bool | None:
        """The reservation the token uses on ``evse``, None if none, False if the EVSE is
        kept for another token."""
        parent = result.get("parent_id_token") or token.get("parent_id_token")
        try:
            return self.m.reservations.usable(evse, token["id_token"]["value"],
                                              parent["value"] if parent else None)
        except LookupError as exc:
            self.m.log.info("token %s: %s", redact(token), exc)
            return False

    def _authorize(self, evse: EvseContext, token: Token, result: Result) -> None:
        reservation = self._reservation(evse, token, result)
        if reservation is False:  # reserved meanwhile (a token waiting for a plug-in)
            self._finish(token, "Rejected")
            return
        if isinstance(reservation, Reservation):
            result = {**result, "reservation_id": reservation.reservation_id}
        token = {**token, "connectors": [evse.evse_id]}
        evse.identifier = Identifier(token["id_token"], token["authorization_type"], "Accepted",
                                     result.get("parent_id_token"))
        evse.cancel_timer()
        evse.timer = self.m.call_later(self.connection_timeout, self._authorization_expired,
                                       evse, token)
        if evse in self.plug_in_queue:
            self.plug_in_queue.remove(evse)
        self.m.call_evse(evse, "authorize_response", provided_token=token, validation_result=result)
        self._finish(token, "UsedToStart")

    def _authorization_expired(self, evse: EvseContext, token: Token) -> None:
        """No transaction within connection_timeout: the authorization lapses."""
        evse.timer = None
        evse.identifier = None
        self.m.call_evse(evse, "withdraw_authorization")
        self._status(token, "TimedOut")

    # -- waiting for a plug-in (PlugEvents) ----------------------------------------------------------
    def _wait_for_plug_in(self, token: Token, result: Result, evses: list[EvseContext]) -> None:
        waiting = _Waiting(token, result, evses)
        waiting.timer = self.m.call_later(self.connection_timeout, self._end_wait, waiting, "TimedOut")
        self.waiting.append(waiting)

    def _end_wait(self, waiting: _Waiting, status: str) -> None:
        if waiting.timer is not None:
            waiting.timer.cancel()
        if waiting in self.waiting:
            self.waiting.remove(waiting)
            self._finish(waiting.token, status)

    def plugged_in(self, evse: EvseContext) -> None:
        self.plug_in_queue.append(evse)
        waiting = next((w for w in self.waiting if evse in w.evses), None)
        if waiting is not None:
            if waiting.timer is not None:
                waiting.timer.cancel()
            self.waiting.remove(waiting)
            self._authorize(evse, waiting.token, waiting.result)
            return
        if self.plug_in_timeout_enabled and len(self.evses) > 1:
            evse.cancel_timer()
            evse.timer = self.m.call_later(self.connection_timeout, self._plug_in_expired, evse)

    def _plug_in_expired(self, evse: EvseContext) -> None:
        """Not authorized within connection_timeout of the plug-in: a replug is needed."""
        evse.timer = None
        self.m.log.info("EVSE %d: no authorization within %d s of the plug-in; replug needed",
                        evse.evse_id, self.connection_timeout)
        self.m.call_evse(evse, "withdraw_authorization")
        if evse in self.plug_in_queue:
            self.plug_in_queue.remove(evse)
        evse.plug_in_timeout = True

    def session_finished(self, evse: EvseContext) -> None:
        if evse in self.plug_in_queue:
            self.plug_in_queue.remove(evse)

    # -- withdrawal --------------------------------------------------------------------------------
    def withdraw(self, request: dict[str, Any]) -> str:
        evse_id, id_token = request.get("evse_id"), request.get("id_token")
        by_id = {e.evse_id: e for e in self.evses}
        if evse_id is not None and evse_id not in by_id:
            return "EvseNotFound"
        outcome = "AuthorizationNotFound"
        for waiting in list(self.waiting):
            if (evse_id is None or by_id[evse_id] in waiting.evses) and (
                    id_token is None or same_token(waiting.token["id_token"], id_token["value"])):
                self._end_wait(waiting, "Withdrawn")
                outcome = "Accepted"
        for evse in [by_id[evse_id]] if evse_id is not None else self.evses:
            if evse.identifier is None or (
                    id_token is not None and not same_token(evse.identifier.id_token, id_token["value"])):
                continue
            if evse.transaction_active:
                self._stop(evse, "DeAuthorized")
            else:
                self.m.call_evse(evse, "withdraw_authorization")
            outcome = "Accepted"
        return outcome
