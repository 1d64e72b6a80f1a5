"""RpcApi: EVerest's JSON-RPC 2.0 API over WebSocket, for apps, HMIs and energy managers.

The WebSocket server runs on a thread of its own (``server``); every request is handled on
the module's thread (``methods``), one after the other, from what the EvseManagers publish
(``evse_view``). Clients must say ``API.Hello`` first, within 5 s, as with EVerest; after that
they get the notifications (status, meter, capabilities, active errors).
"""

from __future__ import annotations

import json
from typing import Any

from pycharge.modules.RpcApi import jsonrpc
from pycharge.modules.RpcApi.evse_view import PROTOCOLS, EvseView
from pycharge.modules.RpcApi.methods import NO_LIMIT_A, Methods
from pycharge.modules.RpcApi.server import Client, WsServer, listen_address
from pycharge.runtime.errors import Error
from pycharge.runtime.module import Connection, Module

UNKNOWN_CHARGER = {"vendor": "unknown", "model": "unknown", "serial": "unknown",
                   "firmware_version": "unknown"}
# charger_information#/ChargerInformation -> the API's ChargerInfoObj
CHARGER_KEYS = {"vendor": "vendor", "model": "model", "friendly_name": "friendly_name",
                "manufacturer": "manufacturer", "manufacturer_url": "manufacturer_url",
                "model_url": "model_url", "model_number": "model_no",
                "model_revision": "revision", "board_revision": "board_revision"}


def charger_info_object(info: dict[str, Any]) -> dict[str, Any]:
    found = {ours: info[theirs] for theirs, ours in CHARGER_KEYS.items() if theirs in info}
    return {**found, "serial": info.get("chargepoint_serial", "unknown"),
            "firmware_version": info.get("firmware_version", "unknown")}


def rounded(value: Any, places: int) -> Any:
    """Floats with at most ``places`` decimals (``max_decimal_places_other``; 0: as they are)."""
    if places <= 0:
        return value
    if isinstance(value, float):
        return round(value, places)
    if isinstance(value, dict):
        return {k: rounded(v, places) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, places) for v in value]
    return value


class RpcApi(Module):
    def init(self) -> None:
        evses = self.connections("evse_manager")
        sinks = self.connections("evse_energy_sink")
        if sinks and len(sinks) != len(evses):
            self.log.warning("%d evse_energy_sink(s) for %d EVSE(s): cannot tell which belongs "
                             "to which, so limits cannot be set", len(sinks), len(evses))
        self.evses: dict[str, Connection] = {e.module_id: e for e in evses}
        self.sinks: dict[str, Connection] = (
            {e.module_id: s for e, s in zip(evses, sinks, strict=True)} if len(sinks) == len(evses) else {})
        self.views = [EvseView(e.module_id, self.clock.monotonic) for e in evses]
        self.wanted: dict[str, float] = {}  # EVSE -> the current a client asked for
        self.errors: dict[str, Error] = {}
        self.charger_info: dict[str, Any] = dict(UNKNOWN_CHARGER)
        self.methods = Methods(self)
        self.clients: dict[int, Client] = {}
        self._sent: dict[tuple[str, str], str] = {}
        for evse, view in zip(evses, self.views, strict=True):
            self._watch(evse, view)
        self.subscribe_all_errors(self._on_error_raised, self._on_error_cleared)
        self.server = self._server()

    def _server(self) -> WsServer | None:
        if not self.config["websocket_enabled"]:
            self.log.error("websocket_enabled is false and there is no other transport: "
                           "the RpcApi serves nobody")
            return None
        if self.config["websocket_tls_enabled"]:
            self.log.error("websocket_tls_enabled: TLS is not implemented; the server is not "
                           "started rather than serve without it")
            return None
        if self.config["authentication_required"]:
            self.log.warning("authentication_required: authentication is not implemented; it "
                             "is only reported in API.Hello")
        try:
            host = listen_address(self.config["websocket_interface"])
        except ValueError as exc:
            self.log.error("websocket_interface: %s; the server is not started", exc)
            return None
        server = WsServer(host, self.config["websocket_port"], self._on_message,
                          lambda client: self.submit(self.clients.pop, client.number, None),
                          self.stopping)
        self.spawn("websocket", server.run)
        return server

    def _watch(self, evse: Connection, view: EvseView) -> None:
        def then(update: Any) -> Any:
            def handle(value: Any) -> None:
                update(value)
                self._notify_status(view)
            return handle
        evse.subscribe("session_event", then(view.on_session_event))
        evse.subscribe("enforced_limits", then(view.on_enforced_limits))
        evse.subscribe("evse_id", lambda value: setattr(view, "evse_id", value))
        evse.subscribe("supported_energy_transfer_modes",
                       lambda modes: setattr(view, "modes", list(modes)))
        evse.subscribe("selected_protocol", then(lambda protocol: setattr(
            view, "protocol", PROTOCOLS.get(protocol, "Unknown"))))

        def on_powermeter(meter: dict[str, Any]) -> None:
            view.on_powermeter(meter)
            self._notify(view, "EVSE.MeterDataChanged", "meter_data", view.meter)
            self._notify_status(view)

        def on_capabilities(caps: dict[str, Any]) -> None:
            view.on_capabilities(caps)
            self._notify(view, "EVSE.HardwareCapabilitiesChanged", "hardware_capabilities",
                         view.capabilities)
            self._notify_status(view)
        evse.subscribe("powermeter", on_powermeter)
        evse.subscribe("hw_capabilities", on_capabilities)

    def ready(self) -> None:
        for view in self.views:
            self.evses[view.module_id].call_async("get_evse").add_done_callback(
                lambda future, view=view: self._got_evse(view, future))
        info = self.connection("charger_information")
        if info is not None:
            info.call_async("get_charger_information").add_done_callback(self._got_charger_info)

    def _got_evse(self, view: EvseView, future: Any) -> None:
        if future.exception() is not None:
            self.log.error("%s.get_evse failed: %s; this EVSE is not offered",
                           view.module_id, future.exception())
            return
        view.on_evse(future.result())

    def _got_charger_info(self, future: Any) -> None:
        if future.exception() is not None:
            self.log.warning("no charger information (API.Hello says \"unknown\"): %s",
                             future.exception())
            return
        self.charger_info = charger_info_object(future.result())

    def wanted_current(self, view: EvseView) -> float:
        return self.wanted.get(view.module_id, NO_LIMIT_A)

    # -- errors --------------------------------------------------------------------------------------
    def active_errors(self) -> list[dict[str, Any]]:
        return [{"type": e.type, "sub_type": e.sub_type, "message": e.message,
                 "description": e.description, "severity": e.severity,
                 "origin": {"module_id": e.origin.get("module_id", ""),
                            "implementation_id": e.origin.get("implementation_id", "")},
                 "vendor_id": e.vendor_id, "timestamp": e.timestamp, "uuid": e.uuid}
                for e in self.errors.values()]

    def _on_error_raised(self, error: Error) -> None:
        self.errors[error.uuid] = error
        self._errors_changed(error)

    def _on_error_cleared(self, error: Error) -> None:
        self.errors.pop(error.uuid, None)
        self._errors_changed(error)

    def _errors_changed(self, error: Error) -> None:
        for view in self.views:
            if error.origin.get("module_id") == view.module_id:
                view.errors = {e.uuid for e in self.errors.values()
                               if e.origin.get("module_id") == view.module_id}
                self._notify_status(view)
        self._broadcast("ChargePoint.ActiveErrorsChanged", {"active_errors": self.active_errors()})

    # -- clients -------------------------------------------------------------------------------------
    def _on_message(self, client: Client, text: str) -> None:
        """From the server's thread: handle it on ours."""
        self.submit(self._handle, client, text)

    def _handle(self, client: Client, text: str) -> None:
        self.clients.setdefault(client.number, client)
        try:
            request = jsonrpc.read(text)
        except jsonrpc.RpcError as exc:
            self.log.warning("client %d: %s", client.number, exc.message)
            self._send(client, jsonrpc.error(jsonrpc.id_of(text), exc.code, exc.message))
            return
        if request.method == "API.Hello":
            client.hello = True
        elif not client.hello:
            self.log.info("client %d did not say API.Hello first: disconnected", client.number)
            self.server.close(client, "Disconnected due to missing API.Hello request")
            return
        method = self.methods.table.get(request.method)
        if method is None:
            self._answer(client, request, error=(jsonrpc.METHOD_NOT_FOUND,
                                                 f"Method not found: {request.method}"))
            return
        try:
            method(request.params, lambda value: self._answer(client, request, value))
        except jsonrpc.RpcError as exc:
            self._answer(client, request, error=(exc.code, exc.message))

    def _answer(self, client: Client, request: jsonrpc.Request, value: Any = None,
                error: tuple[int, str] | None = None) -> None:
        if not request.has_id:
            return  # a JSON-RPC notification from the client: no answer, even on error
        if error is not None:
            self._send(client, jsonrpc.error(request.id, *error))
        else:
            places = self.config["max_decimal_places_other"]
            self._send(client, jsonrpc.result(request.id, rounded(value, places)))

    def _send(self, client: Client, text: str) -> None:
        if self.server is not None:
            self.server.send(client, text)

    def _notify_status(self, view: EvseView) -> None:
        self._notify(view, "EVSE.StatusChanged", "evse_status", view.status())

    def _notify(self, view: EvseView, method: str, key: str, value: Any) -> None:
        """Tell every client that said hello, if ``value`` changed since it was last sent."""
        if view.index is None or value is None:
            return
        value = rounded(value, self.config["max_decimal_places_other"])
        text = json.dumps(value, sort_keys=True)
        if self._sent.get((view.module_id, method)) == text:
            return
        self._sent[(view.module_id, method)] = text
        self._broadcast(method, {"evse_index": view.index, key: value})

    def _broadcast(self, method: str, params: dict[str, Any]) -> None:
        text = jsonrpc.notification(method, params)
        for client in list(self.clients.values()):
            if client.hello:
                self._send(client, text)
