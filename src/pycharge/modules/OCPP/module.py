"""OCPP: an OCPP 1.6J charge point for EVerest configurations (see manifest.yaml).

The charge point's state (connectors, configuration) lives on the module's thread; the
websocket runs on a thread of its own (``connection``) and hands every CSMS request back here.
"""

from __future__ import annotations

import importlib.resources
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from pycharge.modules.OCPP import security
from pycharge.modules.OCPP.authorization import Authorizer
from pycharge.modules.OCPP.availability import Availability
from pycharge.modules.OCPP.config import ChargePointConfig
from pycharge.modules.OCPP.connection import Link
from pycharge.modules.OCPP.firmware import Maintenance
from pycharge.modules.OCPP.local_auth import LocalAuthorization
from pycharge.modules.OCPP.metering import Metering, meter_value
from pycharge.modules.OCPP.reservations import Reservations
from pycharge.modules.OCPP.smart_charging import SmartCharging
from pycharge.modules.OCPP.transactions import Connector
from pycharge.runtime.module import Connection, Implementation, Module
from pycharge.runtime.usererror import UserError

AUTHORIZE_TIMEOUT_S = 10.0


def configs_dir() -> Path:
    return Path(str(importlib.resources.files("pycharge.configs")))


class ChargePointControl(Implementation):
    def stop(self) -> bool:
        return False  # the connection is kept for the module's life (not implemented yet)

    def restart(self) -> bool:
        return False


class Validator(Implementation):
    def validate_token(self, provided_token: dict[str, Any]) -> dict[str, Any]:
        """Authorize.req, the local list or the cache (authorization.py)."""
        module: OCPP = self.module  # type: ignore[assignment]
        status = module.authorizer.authorize(provided_token["id_token"]["value"])
        return {"authorization_status": status, "tariff_messages": []}


class DataTransfer(Implementation):
    def data_transfer(self, request: dict[str, Any]) -> dict[str, Any]:
        module: OCPP = self.module  # type: ignore[assignment]
        payload = {"vendor_id": request["vendor_id"], "message_id": request.get("message_id"),
                   "data": request.get("data")}
        try:
            answer = module.link.request("DataTransfer", payload).result(AUTHORIZE_TIMEOUT_S)
        except Exception:
            answer = None
        if answer is None:
            return {"status": "Offline"}
        return {"status": answer.status, "data": answer.data or ""}


class OCPP(Module):
    implementations = {"main": ChargePointControl, "auth_validator": Validator,
                       "data_transfer": DataTransfer}

    def init(self) -> None:
        database = Path(self.config["DatabasePath"])
        self.settings = ChargePointConfig(configs_dir() / self.config["ChargePointConfigPath"],
                                          database / self.config["UserConfigPath"])
        if self.config["EnableExternalWebsocketControl"]:
            self.log.warning("EnableExternalWebsocketControl is not implemented yet")
        self.evses: list[Connection] = self.connections("evse_manager")
        self.connectors = [Connector(i) for i in range(1, len(self.evses) + 1)]
        self.online = False
        for evse, connector in zip(self.evses, self.connectors, strict=True):
            evse.subscribe("session_event",
                           lambda event, c=connector: self._on_session_event(c, event))
            evse.subscribe("powermeter", lambda meter, c=connector: setattr(c, "meter", meter))
        self.store = self.connection("security")
        profile = self.settings.get("SecurityProfile", 0)
        if profile in security.TLS_PROFILES and self.store is None:
            raise UserError(f"{self.settings.path}: Security.SecurityProfile {profile} needs the "
                            f"module {self.id}'s requirement 'security' connected (EvseSecurity: "
                            "the CSMS root CA bundle and the charge point's certificate)")
        self.link = Link(self.endpoint, self.settings["ChargePointId"], self,
                         self._on_module, self.setting, database, self._on_state,
                         self._on_started, self.stopping)
        self.metering = Metering(self)
        self.local_auth = LocalAuthorization(database)
        self.authorizer = Authorizer(self.local_auth, self.setting, self._ask_csms,
                                     lambda: self.online)
        self.availability = Availability(self.evses, self.connectors, database, self.log)
        self.smart = SmartCharging(database, self.setting, len(self.connectors),
                                   self.connections("evse_energy_sink"), self.log)
        self.maintenance = Maintenance(self.connection("system"), self.link.send, self.log)
        self.reservations = Reservations(self.connection("reservation"), self.setting,
                                         len(self.connectors), self.log)

    def ready(self) -> None:
        for implementation in ("main", "ocpp_generic"):
            self.impl[implementation].publish("is_connected", False)
        self.link.security_event(security.event("StartupOfTheDevice"))
        self.availability.restore()
        delay = self.config["DelayOcppStart"] / 1000.0
        self.call_later(delay, lambda: self.spawn("websocket", self.link.run))
        self.metering.start()

    def shutdown(self) -> None:
        if hasattr(self, "link"):  # not if init failed (a config error)
            self.link.close()
        if hasattr(self, "smart"):  # init got that far: both were opened
            self.local_auth.close()
            self.smart.close()

    def endpoint(self) -> security.Endpoint:
        """Where and how to connect, by the security profile; certificates are asked for
        anew each time (EvseSecurity reads its store at every call)."""
        cp_id, profile = self.settings["ChargePointId"], self.settings.get("SecurityProfile", 0)
        url = security.url_of(self.settings["CentralSystemURI"], cp_id, profile)
        headers = security.basic_auth(cp_id, self.settings["AuthorizationKey"]) \
            if profile in security.BASIC_AUTH_PROFILES else {}
        if profile not in security.TLS_PROFILES:
            return security.Endpoint(url, headers)
        assert self.store is not None  # checked in init
        verify_file = self.store.call("get_verify_file", certificate_type="CSMS")
        if not verify_file:
            raise UserError("EvseSecurity has no CSMS root CA bundle: the CSMS's certificate "
                            "cannot be checked, so no connection is made")
        leaf = None
        if profile == 3:
            answer = self.store.call("get_leaf_certificate_info", certificate_type="CSMS",
                                     encoding="PEM", include_ocsp=False)
            leaf = answer.get("info") if answer["status"] == "Accepted" else None
            if leaf is None:
                self.log.error("security profile 3 but no charge point certificate for the "
                               "CSMS (%s): connecting without one, the CSMS will refuse it",
                               answer["status"])
        return security.Endpoint(url, headers, security.tls_context(verify_file, leaf))

    def setting(self, name: str) -> Any:
        """A key as of now, from any thread (values are replaced, never changed in place)."""
        return self.settings.get(name) if name in self.settings.values else self.config.get(name)

    def _on_module(self, fn: Any, *args: Any) -> Future:
        """Run ``fn(*args)`` on our thread; the future holds its result (for the loop)."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except Exception as exc:
                future.set_exception(exc)
        self.submit(run)
        return future

    # -- from the link's thread -------------------------------------------------------------
    def _on_state(self, online: bool, boot: dict[str, Any] | None) -> None:
        self.submit(self._state_changed, online, boot)

    def _state_changed(self, online: bool, boot: dict[str, Any] | None) -> None:
        """Connected (after an accepted BootNotification, whose interval becomes the
        HeartbeatInterval, as OCPP 1.6 §4.2 says) or gone (told once per outage)."""
        if not online and not self.online:
            return
        if boot is not None and boot["interval"] > 0 and \
                boot["interval"] != self.settings["HeartbeatInterval"]:
            self.settings.change("HeartbeatInterval", str(boot["interval"]))
        self.online = online
        for implementation in ("main", "ocpp_generic"):
            self.impl[implementation].publish("is_connected", online)
        if online:
            self._status_all()

    def _ask_csms(self, id_tag: str) -> dict[str, Any] | None:
        """Authorize.req's idTagInfo; None if the CSMS is away or does not answer in time."""
        try:
            answer = self.link.request("Authorize", {"id_tag": id_tag}).result(
                AUTHORIZE_TIMEOUT_S)
        except Exception:
            return None
        return answer.id_tag_info if answer is not None else None

    def _on_started(self, local_tx: str, transaction_id: int, id_tag: str,
                    info: dict[str, Any]) -> None:
        self.submit(self._started, local_tx, transaction_id, id_tag, info)

    def _started(self, local_tx: str, transaction_id: int, id_tag: str,
                 info: dict[str, Any]) -> None:
        """StartTransaction answered: its idTagInfo goes into the cache, and a transaction
        the CSMS does not accept (one started offline) is stopped if StopTransactionOnInvalidId."""
        self.authorizer.remember(id_tag, info)
        for evse, connector in zip(self.evses, self.connectors, strict=True):
            if connector.local_tx == local_tx:
                connector.transaction_id = transaction_id
                self.smart.transaction_id(connector.id, transaction_id)
                if info["status"] != "Accepted" and self.settings["StopTransactionOnInvalidId"]:
                    evse.call_async("stop_transaction", request={"reason": "DeAuthorized"})

    # -- from EvseManagers ------------------------------------------------------------------
    def _on_session_event(self, connector: Connector, event: dict[str, Any]) -> None:
        before, local_tx = connector.status, connector.local_tx
        for action, payload in connector.on_event(event):
            if action == "StartTransaction":
                self.metering.transaction_started(
                    connector, event["transaction_started"]["meter_value"])
            elif data := self.metering.transaction_finished(  # StopTransaction
                    connector, event["transaction_finished"]["meter_value"]):
                payload["transaction_data"] = data
            self.link.enqueue(action, payload, connector.local_tx or local_tx or "")
        if event.get("event") == "TransactionStarted":
            self.smart.transaction_started(connector.id, event["timestamp"])
        elif event.get("event") == "TransactionFinished":
            self.availability.transaction_finished(connector)
            self.smart.transaction_finished(connector.id)
        if connector.status != before:
            self.link.send("StatusNotification", connector.status_notification())

    def _status_station(self) -> None:
        self.link.send("StatusNotification", {"connector_id": 0, "error_code": "NoError",
                                              "status": self.availability.station_status()})

    def _status_all(self) -> None:
        self._status_station()
        for connector in self.connectors:
            self.link.send("StatusNotification", connector.status_notification())

    def report(self, connector: Connector, value: dict[str, Any]) -> None:
        """A MeterValue of ``connector``: kept until sent if it belongs to a transaction."""
        payload = {"connector_id": connector.id, "meter_value": [value]}
        if connector.local_tx is not None:
            self.link.enqueue("MeterValues", payload, connector.local_tx)
        else:
            self.link.send("MeterValues", payload)

    # -- the CSMS's requests (charge_point.Station) ------------------------------------------
    def get_configuration(self, key: list[str] | None) -> dict[str, Any]:
        known, unknown = self.settings.listed(key)
        return {"configuration_key": known, "unknown_key": unknown or None}

    def change_configuration(self, key: str, value: str) -> str:
        status = self.settings.change(key, value)
        if status == "Accepted":
            self.metering.changed(key)
        return status

    def remote_start(self, id_tag: str, connector_id: int | None,
                     charging_profile: dict[str, Any] | None) -> str:
        if connector_id is not None and not 1 <= connector_id <= len(self.connectors):
            return "Rejected"
        if charging_profile is not None and not self.smart.expect(connector_id, charging_profile):
            return "Rejected"
        token: dict[str, Any] = {
            "id_token": {"value": id_tag, "type": "Central"}, "authorization_type": "OCPP",
            "prevalidated": not self.settings["AuthorizeRemoteTxRequests"]}
        if connector_id is not None:
            token["connectors"] = [connector_id]
        self.impl["auth_provider"].publish("provided_token", token)
        return "Accepted"

    def remote_stop(self, transaction_id: int) -> str:
        for evse, connector in zip(self.evses, self.connectors, strict=True):
            if connector.local_tx is not None and connector.transaction_id == transaction_id:
                evse.call_async("stop_transaction", request={"reason": "Remote"})
                return "Accepted"
        return "Rejected"

    def reset(self, kind: str) -> str:
        """Stop the transactions now (reason SoftReset/HardReset), reset after ResetStopDelay."""
        for evse, connector in zip(self.evses, self.connectors, strict=True):
            if connector.local_tx is not None:
                evse.call_async("stop_transaction", request={"reason": f"{kind}Reset"})
        self.link.security_event(security.event("ResetOrReboot", f"{kind} reset by the CSMS"))
        system = self.connection("system")
        self.call_later(self.config["ResetStopDelay"],
                        lambda: system.call_async("reset", type=kind, scheduled=False))
        return "Accepted"

    def unlock(self, connector_id: int) -> Future | str:
        """Unlocked, UnlockFailed, or NotSupported (no such connector, or no lock)."""
        if not 1 <= connector_id <= len(self.evses):
            return "NotSupported"
        answer: Future = Future()

        def done(call: Future) -> None:
            failed = call.exception() is not None
            answer.set_result("UnlockFailed" if failed else
                              "Unlocked" if call.result() else "NotSupported")
        self.evses[connector_id - 1].call_async("force_unlock",
                                                connector_id=connector_id).add_done_callback(done)
        return answer

    def trigger(self, message: str, connector_id: int | None) -> str:
        targets = [c for c in self.connectors if connector_id in (None, c.id)]
        if message == "StatusNotification":
            for connector in targets:
                self.link.send("StatusNotification", connector.status_notification())
        elif message == "Heartbeat":
            self.link.send("Heartbeat", {})
        elif message == "FirmwareStatusNotification":
            self.link.send(message, {"status": self.maintenance.firmware_status})
        elif message == "DiagnosticsStatusNotification":
            self.link.send(message, {"status": self.maintenance.diagnostics_status})
        elif message == "MeterValues":
            for connector in targets:
                value = meter_value(connector.meter, self.settings["MeterValuesSampledData"],
                                    "Trigger")
                if value is not None:
                    self.link.send("MeterValues", {"connector_id": connector.id,
                                                   "meter_value": [value]})
        else:
            return "NotImplemented"
        return "Accepted"

    def send_local_list(self, version: int, update_type: str,
                        entries: list[dict[str, Any]] | None) -> str:
        return self.authorizer.send_local_list(version, update_type, entries)

    def local_list_version(self) -> int:
        return self.authorizer.local_list_version()

    def clear_cache(self) -> str:
        return self.authorizer.clear_cache()

    def reserve_now(self, request: dict[str, Any]) -> Future | str:
        return self.reservations.reserve_now(request)

    def cancel_reservation(self, reservation_id: int) -> Future | str:
        return self.reservations.cancel(reservation_id)

    def change_availability(self, connector_id: int, kind: str) -> str:
        station = self.availability.station_status()
        answer = self.availability.change(connector_id, kind)
        if self.availability.station_status() != station:
            self._status_station()
        return answer

    def set_charging_profile(self, connector_id: int, profile: dict[str, Any]) -> str:
        return self.smart.set_profile(connector_id, profile)

    def clear_charging_profile(self, profile_id: int | None, connector_id: int | None,
                               purpose: str | None, stack_level: int | None) -> str:
        return self.smart.clear(profile_id, connector_id, purpose, stack_level)

    def composite_schedule(self, connector_id: int, duration: int, unit: str | None
                           ) -> dict[str, Any]:
        return self.smart.composite_schedule(connector_id, duration, unit)
