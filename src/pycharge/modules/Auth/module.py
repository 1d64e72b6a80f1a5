"""Auth: authorization of charging sessions (token providers -> validators -> EvseManagers).

The token flow is in ``token_handler``, the state of each EVSE in ``evse_context``, the
reservations in ``reservations``. This module
wires them to the bus: tokens from every provider, session events and Inoperative errors from
every EvseManager, the ``auth`` commands, and the calls to the EvseManagers.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

from pycharge.modules.Auth.evse_context import EvseContext
from pycharge.modules.Auth.reservations import Reservations
from pycharge.modules.Auth.token_handler import TokenHandler, redact
from pycharge.runtime.errors import Error
from pycharge.runtime.module import Implementation, Module

INOPERATIVE = "evse_manager/Inoperative"
SELECTION_ALGORITHMS = ("FindFirst", "PlugEvents")


class Main(Implementation):
    """``auth``."""

    module: Auth

    def set_connection_timeout(self, connection_timeout: int) -> None:
        self.module.tokens.connection_timeout = connection_timeout

    def set_master_pass_group_id(self, master_pass_group_id: str) -> None:
        self.module.tokens.master_pass = master_pass_group_id or None

    def withdraw_authorization(self, request: dict[str, Any]) -> str:
        return self.module.tokens.withdraw(request)


class ReservationImpl(Implementation):
    """``reservation``: see reservations.py."""

    module: Auth

    def reserve_now(self, request: dict[str, Any]) -> str:
        return self.module.reservations.reserve_now(request)

    def cancel_reservation(self, reservation_id: int) -> bool:
        return self.module.reservations.cancel(reservation_id)

    def exists_reservation(self, request: dict[str, Any]) -> str:
        return self.module.reservations.exists(request)


class Auth(Module):
    implementations: ClassVar = {"main": Main, "reservation": ReservationImpl}

    def init(self) -> None:
        config = dict(self.config)
        if config["selection_algorithm"] not in SELECTION_ALGORITHMS:
            self.log.error("selection_algorithm %s is not implemented; using FindFirst",
                           config["selection_algorithm"])
            config["selection_algorithm"] = "FindFirst"
        evse_managers = self.connections("evse_manager")
        self.evses = [EvseContext(index, index + 1) for index in range(len(evse_managers))]
        self.tokens = TokenHandler(self, self.evses, config)
        self.reservations = Reservations(self, self.evses)
        for provider in self.connections("token_provider"):
            provider.subscribe("provided_token", self.tokens.on_token)
        for validator in self.connections("token_validator"):
            validator.subscribe("validate_result_update", self._validation_updated)
        for evse, connection in zip(self.evses, evse_managers, strict=True):
            connection.subscribe("session_event", lambda event, evse=evse: self._session_event(evse, event))
            if not config["ignore_connector_faults"]:
                connection.subscribe_errors(lambda e, evse=evse: self._fault(evse, e, True),
                                            lambda e, evse=evse: self._fault(evse, e, False))
        self._unanswered = len(evse_managers)

    def ready(self) -> None:
        """Learn each EVSE's id, then start taking tokens."""
        for evse, connection in zip(self.evses, self.connections("evse_manager"), strict=True):
            connection.call_async("get_evse").add_done_callback(
                lambda future, evse=evse: self._evse_known(evse, future))

    def _evse_known(self, evse: EvseContext, future: Future) -> None:
        error = future.exception()
        if error is None:
            evse.evse_id = future.result()["id"]
        else:
            self.log.warning("get_evse of EVSE #%d failed (%s); assuming id %d", evse.index + 1,
                             error, evse.evse_id)
        self._unanswered -= 1
        if self._unanswered == 0:
            ids = [e.evse_id for e in self.evses]
            if len(set(ids)) != len(ids):
                self.log.error("EVSE ids are not unique (%s): tokens naming an EVSE may go astray", ids)
            self.tokens.started = True
            self.log.info("taking tokens for EVSE(s) %s", ids)

    # -- inputs --------------------------------------------------------------------------------------
    def _session_event(self, evse: EvseContext, event: dict[str, Any]) -> None:
        evse.on_event(event)
        name = event["event"]
        if name == "TransactionStarted" and "reservation_id" in event["transaction_started"]:
            self.reservations.used(event["transaction_started"]["reservation_id"])
        if name == "SessionStarted" and (event.get("session_started") or {}).get("reason") == "EVConnected":
            evse.plugged_in = True
            self.tokens.plugged_in(evse)
        elif name == "SessionFinished":
            self.tokens.session_finished(evse)

    def _fault(self, evse: EvseContext, error: Error, raised: bool) -> None:
        if error.type == INOPERATIVE:
            evse.faulted = raised

    def _validation_updated(self, update: dict[str, Any]) -> None:
        """A validator changed its mind about a token in use (only the parent token counts)."""
        evse = next((e for e in self.evses if e.evse_id == update["connector_id"]), None)
        if evse is None or evse.identifier is None:
            self.log.error("validation update for EVSE %s, which holds no authorization",
                           update["connector_id"])
            return
        result = update["validation_result"]
        evse.identifier.status = result["authorization_status"]
        evse.identifier.parent_id_token = result.get("parent_id_token")
        token: dict[str, Any] = {"id_token": evse.identifier.id_token,
                                 "authorization_type": evse.identifier.authorization_type,
                                 "connectors": [evse.evse_id]}
        if evse.identifier.parent_id_token is not None:
            token["parent_id_token"] = evse.identifier.parent_id_token
        message: dict[str, Any] = {"token": token, "status": "Accepted"}
        if result["tariff_messages"]:
            message["messages"] = result["tariff_messages"]
        self.impl["main"].publish("token_validation_status", message)

    # -- outputs -------------------------------------------------------------------------------------
    def call_evse(self, evse: EvseContext, cmd: str, **args: Any) -> None:
        connection = self.connections("evse_manager")[evse.index]
        connection.call_async(cmd, **args).add_done_callback(
            lambda future: self._evse_answered(connection.module_id, cmd, args, future))

    def _evse_answered(self, module_id: str, cmd: str, args: dict[str, Any], future: Future) -> None:
        error = future.exception()
        if error is not None:
            token = args.get("provided_token")
            self.log.error("%s.%s%s failed: %s", module_id, cmd,
                           f" for token {redact(token)}" if token else "", error)
