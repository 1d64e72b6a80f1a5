"""What the CSMS may ask of the charge point: the ocpp library's routing, one handler per action.

Each handler runs on the websocket's loop and hands the work to the module's thread
(``on_module``), where the charge point's state lives. The library answers actions without a
handler with a NotImplemented CALLERROR and schema-invalid requests with one of their own;
frames it cannot read at all it only logs, and actions OCPP 1.6 does not have it calls
NotSupported, so those two are answered here (OCPP-J §4.2.3).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, Protocol

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, unpack
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

OnModule = Callable[..., Awaitable[Any]]
log = logging.getLogger("pycharge.module.ocpp.messages")
ACTIONS = {action.value for action in Action}


def unique_id_of(raw: str) -> str:
    """The message id of a frame, if it has one where OCPP-J puts it; else "-1"."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return "-1"
    return frame[1] if isinstance(frame, list) and len(frame) > 1 and isinstance(
        frame[1], str) else "-1"


class Station(Protocol):
    """The module's side of the requests (see module.py); each returns the answer's fields."""

    def get_configuration(self, key: list[str] | None) -> dict[str, Any]: ...
    def change_configuration(self, key: str, value: str) -> str: ...
    def remote_start(self, id_tag: str, connector_id: int | None,
                     charging_profile: dict[str, Any] | None) -> str: ...
    def remote_stop(self, transaction_id: int) -> str: ...
    def reset(self, kind: str) -> str: ...
    def unlock(self, connector_id: int) -> Future | str: ...
    def trigger(self, message: str, connector_id: int | None) -> str: ...
    def send_local_list(self, version: int, update_type: str,
                        entries: list[dict[str, Any]] | None) -> str: ...
    def local_list_version(self) -> int: ...
    def clear_cache(self) -> str: ...
    def reserve_now(self, request: dict[str, Any]) -> Future | str: ...
    def change_availability(self, connector_id: int, kind: str) -> str: ...
    maintenance: Any  # firmware.Maintenance: the firmware and log requests
    def set_charging_profile(self, connector_id: int, profile: dict[str, Any]) -> str: ...
    def clear_charging_profile(self, profile_id: int | None, connector_id: int | None,
                               purpose: str | None, stack_level: int | None) -> str: ...
    def composite_schedule(self, connector_id: int, duration: int, unit: str | None
                           ) -> dict[str, Any]: ...
    def cancel_reservation(self, reservation_id: int) -> Future | str: ...


class StationChargePoint(ChargePoint):
    """The library's 1.6 charge point, answering from the module's state."""

    def __init__(self, cp_id: str, socket: Any, station: Station, on_module: OnModule,
                 response_timeout: int) -> None:
        super().__init__(cp_id, socket, response_timeout)
        self.station, self.on_module = station, on_module

    async def route_message(self, raw_msg: str) -> None:
        log.debug("%s <- %s", self.id, raw_msg)
        try:
            message = unpack(raw_msg)
        except OCPPError as exc:
            log.warning("%s: unreadable frame from the CSMS (%s): %.200s", self.id,
                        exc.description, raw_msg)
            await self._send(CallError(unique_id_of(raw_msg), exc.code, exc.description,
                                       {}).to_json())
            return
        if isinstance(message, Call) and message.action not in ACTIONS:
            # OCPP-J §4.2.3: an action the receiver does not know is NotImplemented (the
            # library says NotSupported, which is for known actions it does not serve)
            log.warning("%s: unknown action %.60s", self.id, message.action)
            await self._send(CallError(message.unique_id, "NotImplemented",
                                       "Requested Action is not known by receiver", {}).to_json())
            return
        await super().route_message(raw_msg)

    @on(Action.get_configuration)
    async def _get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        return call_result.GetConfiguration(**await self.on_module(
            self.station.get_configuration, key))

    @on(Action.change_configuration)
    async def _change_configuration(self, key: str, value: str, **_: Any) -> Any:
        return call_result.ChangeConfiguration(await self.on_module(
            self.station.change_configuration, key, value))

    @on(Action.remote_start_transaction)
    async def _remote_start(self, id_tag: str, connector_id: int | None = None,
                            charging_profile: dict[str, Any] | None = None, **_: Any) -> Any:
        return call_result.RemoteStartTransaction(await self.on_module(
            self.station.remote_start, id_tag, connector_id, charging_profile))

    @on(Action.remote_stop_transaction)
    async def _remote_stop(self, transaction_id: int, **_: Any) -> Any:
        return call_result.RemoteStopTransaction(await self.on_module(
            self.station.remote_stop, transaction_id))

    @on(Action.reset)
    async def _reset(self, type: str, **_: Any) -> Any:
        return call_result.Reset(await self.on_module(self.station.reset, type))

    @on(Action.unlock_connector)
    async def _unlock(self, connector_id: int, **_: Any) -> Any:
        return call_result.UnlockConnector(await self.on_module(self.station.unlock,
                                                                connector_id))

    @on(Action.trigger_message)
    async def _trigger(self, requested_message: str, connector_id: int | None = None,
                       **_: Any) -> Any:
        return call_result.TriggerMessage(await self.on_module(
            self.station.trigger, requested_message, connector_id))

    @on(Action.data_transfer)
    async def _data_transfer(self, vendor_id: str, **_: Any) -> Any:
        return call_result.DataTransfer("UnknownVendorId")  # no vendor extensions

    @on(Action.clear_cache)
    async def _clear_cache(self, **_: Any) -> Any:
        return call_result.ClearCache(await self.on_module(self.station.clear_cache))

    @on(Action.send_local_list)
    async def _send_local_list(self, list_version: int, update_type: str,
                               local_authorization_list: list[dict[str, Any]] | None = None,
                               **_: Any) -> Any:
        return call_result.SendLocalList(await self.on_module(
            self.station.send_local_list, list_version, update_type, local_authorization_list))

    @on(Action.get_local_list_version)
    async def _get_local_list_version(self, **_: Any) -> Any:
        return call_result.GetLocalListVersion(await self.on_module(
            self.station.local_list_version))

    @on(Action.change_availability)
    async def _change_availability(self, connector_id: int, type: str, **_: Any) -> Any:
        return call_result.ChangeAvailability(await self.on_module(
            self.station.change_availability, connector_id, type))

    @on(Action.reserve_now)
    async def _reserve_now(self, connector_id: int, expiry_date: str, id_tag: str,
                           reservation_id: int, parent_id_tag: str | None = None,
                           **_: Any) -> Any:
        request = {"connector_id": connector_id, "expiry_date": expiry_date, "id_tag": id_tag,
                   "reservation_id": reservation_id, "parent_id_tag": parent_id_tag}
        return call_result.ReserveNow(await self.on_module(self.station.reserve_now, request))

    @on(Action.cancel_reservation)
    async def _cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        return call_result.CancelReservation(await self.on_module(
            self.station.cancel_reservation, reservation_id))

    @on(Action.set_charging_profile)
    async def _set_charging_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any],
                                    **_: Any) -> Any:
        return call_result.SetChargingProfile(await self.on_module(
            self.station.set_charging_profile, connector_id, cs_charging_profiles))

    @on(Action.clear_charging_profile)
    async def _clear_charging_profile(self, id: int | None = None,
                                      connector_id: int | None = None,
                                      charging_profile_purpose: str | None = None,
                                      stack_level: int | None = None, **_: Any) -> Any:
        return call_result.ClearChargingProfile(await self.on_module(
            self.station.clear_charging_profile, id, connector_id, charging_profile_purpose,
            stack_level))

    @on(Action.get_composite_schedule)
    async def _get_composite_schedule(self, connector_id: int, duration: int,
                                      charging_rate_unit: str | None = None, **_: Any) -> Any:
        return call_result.GetCompositeSchedule(**await self.on_module(
            self.station.composite_schedule, connector_id, duration, charging_rate_unit))

    @on(Action.update_firmware)
    async def _update_firmware(self, location: str, retrieve_date: str,
                               retries: int | None = None, retry_interval: int | None = None,
                               **_: Any) -> Any:
        return call_result.UpdateFirmware(**await self.on_module(
            self.station.maintenance.update_firmware, location, retrieve_date, retries,
            retry_interval))

    @on(Action.signed_update_firmware)
    async def _signed_update_firmware(self, request_id: int, firmware: dict[str, Any],
                                      retries: int | None = None,
                                      retry_interval: int | None = None, **_: Any) -> Any:
        return call_result.SignedUpdateFirmware(**await self.on_module(
            self.station.maintenance.signed_update_firmware, request_id, firmware, retries,
            retry_interval))

    @on(Action.get_diagnostics)
    async def _get_diagnostics(self, location: str, retries: int | None = None,
                               retry_interval: int | None = None, start_time: str | None = None,
                               stop_time: str | None = None, **_: Any) -> Any:
        return call_result.GetDiagnostics(**await self.on_module(
            self.station.maintenance.get_diagnostics, location, retries, retry_interval,
            start_time, stop_time))

    @on(Action.get_log)
    async def _get_log(self, log: dict[str, Any], log_type: str, request_id: int,
                       retries: int | None = None, retry_interval: int | None = None,
                       **_: Any) -> Any:
        return call_result.GetLog(**await self.on_module(
            self.station.maintenance.get_log, log, log_type, request_id, retries,
            retry_interval))
