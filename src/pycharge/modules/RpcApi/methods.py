"""The JSON-RPC methods of EVerest's RpcApi (API version 1.0.0) that pycharge answers.

Each method takes the request's params and ``reply(result)``; it runs on the module's thread
and replies at once, or once the EvseManager or energy node it asked has answered. Results
carry EVerest's ``error`` (``ResponseErrorEnum``); bad params raise RpcError (-32602).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from pycharge.modules.RpcApi import jsonrpc
from pycharge.modules.RpcApi.evse_view import EvseView
from pycharge.runtime.clock import rfc3339

if TYPE_CHECKING:
    from pycharge.modules.RpcApi.module import RpcApi

API_VERSION = "1.0.0"
SOURCE = "RpcApi_module"  # EVerest's source name for limits set through the RpcApi
NO_LIMIT_A = 999.9  # EVerest's "no current limit of ours" when charging is allowed again
Reply = Callable[[dict[str, Any]], None]
NO_ERROR = {"error": "NoError"}


def _limits(leaves: dict[str, Any], zero: dict[str, Any], export: bool = False
            ) -> dict[str, Any]:
    """``energy#/ExternalLimits``: ``leaves`` for import (or export), ``zero`` the other way."""
    now = rfc3339()
    target = {"timestamp": now, "limits_to_root": {}, "limits_to_leaves": leaves}
    nothing = {"timestamp": now, "limits_to_root": {}, "limits_to_leaves": zero}
    schedules = (nothing, target) if export else (target, nothing)
    return {"schedule_import": [schedules[0]], "schedule_export": [schedules[1]],
            "schedule_setpoints": []}


def _value(value: float) -> dict[str, Any]:
    return {"value": value, "source": SOURCE}


class Methods:
    def __init__(self, api: RpcApi) -> None:
        self.api = api
        self.table: dict[str, Callable[[dict[str, Any], Reply], None]] = {
            "API.Hello": self.hello,
            "ChargePoint.GetEVSEInfos": self.get_evse_infos,
            "ChargePoint.GetActiveErrors": self.get_active_errors,
            "EVSE.GetInfo": lambda p, reply: self._get(p, reply, "info", EvseView.info),
            "EVSE.GetStatus": lambda p, reply: self._get(p, reply, "status", EvseView.status),
            "EVSE.GetHardwareCapabilities": lambda p, reply: self._get(
                p, reply, "hardware_capabilities", lambda view: view.capabilities),
            "EVSE.GetMeterData": lambda p, reply: self._get(
                p, reply, "meter_data", lambda view: view.meter),
            "EVSE.SetChargingAllowed": self.set_charging_allowed,
            "EVSE.SetACChargingCurrent": self.set_ac_charging_current,
            "EVSE.SetACChargingPhaseCount": self.set_ac_charging_phase_count,
            "EVSE.SetDCChargingPower": self.set_dc_charging_power,
            "EVSE.EnableConnector": self.enable_connector,
        }

    # -- reading -----------------------------------------------------------------------------------
    def hello(self, _params: dict[str, Any], reply: Reply) -> None:
        reply({"authentication_required": self.api.config["authentication_required"],
               "api_version": API_VERSION, "everest_version": "",
               "charger_info": self.api.charger_info})

    def get_evse_infos(self, _params: dict[str, Any], reply: Reply) -> None:
        reply({"infos": [v.info() for v in self.api.views if v.index is not None], **NO_ERROR})

    def get_active_errors(self, _params: dict[str, Any], reply: Reply) -> None:
        reply({"active_errors": self.api.active_errors(), **NO_ERROR})

    def _get(self, params: dict[str, Any], reply: Reply, key: str,
             read: Callable[[EvseView], Any]) -> None:
        view = self._view(params, reply)
        if view is None:
            return
        value = read(view)
        reply({key: value, **NO_ERROR} if value is not None else {"error": "ErrorNoDataAvailable"})

    def _view(self, params: dict[str, Any], reply: Reply) -> EvseView | None:
        index = jsonrpc.integer(params, "evse_index")
        view = next((v for v in self.api.views if v.index == index), None)
        if view is None:
            reply({"error": "ErrorInvalidEVSEIndex"})
        return view

    # -- acting --------------------------------------------------------------------------------------
    def set_charging_allowed(self, params: dict[str, Any], reply: Reply) -> None:
        allowed = jsonrpc.boolean(params, "charging_allowed")
        view = self._view(params, reply)
        if view is None:
            return
        if allowed == view.charging_allowed:
            reply(NO_ERROR)
            return

        def done() -> None:  # kept only once it took effect
            view.charging_allowed = allowed
            reply(NO_ERROR)

        def resume() -> None:
            self._call(reply, view, None, "resume_charging", then=done, expect=True)
        if not allowed and view.state == "Charging":
            self._call(reply, view, None, "pause_charging", then=done, expect=True)
        elif not allowed:
            self._limit(reply, view, _limits({"ac_max_current_A": _value(0.0)},
                                             {"ac_max_current_A": _value(0.0)}), done)
        else:
            paused = view.state in ("ChargingPausedEVSE", "ChargingPausedEV")
            self._limit(reply, view, self._current_limits(view, self.api.wanted_current(view)),
                        resume if paused else done)

    def set_ac_charging_current(self, params: dict[str, Any], reply: Reply) -> None:
        amps = jsonrpc.number(params, "max_current")
        view = self._view(params, reply)
        if view is None:
            return
        self.api.wanted[view.module_id] = amps
        if not view.charging_allowed:  # the zero limit stays until charging is allowed again
            reply(NO_ERROR)
            return
        self._limit(reply, view, self._current_limits(view, amps))

    def set_ac_charging_phase_count(self, params: dict[str, Any], reply: Reply) -> None:
        phases = jsonrpc.integer(params, "phase_count")
        view = self._view(params, reply)
        if view is None:
            return
        if phases not in (1, 2, 3):
            reply({"error": "ErrorOutOfRange"})
            return
        leaves = {"ac_max_phase_count": _value(phases), "ac_min_phase_count": _value(phases)}
        amps = self.api.wanted.get(view.module_id)
        if amps is not None:
            leaves["ac_max_current_A"] = _value(abs(amps))
        self._limit(reply, view, _limits(leaves, {"ac_max_current_A": _value(0.0)}
                                         if amps is not None else {}, bool(amps and amps < 0)))

    def set_dc_charging_power(self, params: dict[str, Any], reply: Reply) -> None:
        watts = jsonrpc.number(params, "max_power")
        view = self._view(params, reply)
        if view is None:
            return
        self._limit(reply, view, _limits({"total_power_W": _value(abs(watts))},
                                         {"total_power_W": _value(0.0)}, watts < 0))

    def enable_connector(self, params: dict[str, Any], reply: Reply) -> None:
        connector = jsonrpc.integer(params, "connector_index")
        enable = jsonrpc.boolean(params, "enable")
        priority = jsonrpc.integer(params, "priority")
        view = self._view(params, reply)
        if view is None:
            return
        if not 0 <= connector <= 128 or not 0 <= priority <= 10000:
            reply({"error": "ErrorOutOfRange"})
            return
        source = {"enable_source": "LocalAPI", "enable_state": "Enable" if enable else "Disable",
                  "enable_priority": priority}
        self._call(reply, view, None, "enable_disable", expect=enable, connector_id=connector,
                   cmd_source=source)

    # -- helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _current_limits(view: EvseView, amps: float) -> dict[str, Any]:
        leaves = {"ac_max_current_A": _value(abs(amps))}
        if view.phases:
            leaves["ac_max_phase_count"] = leaves["ac_min_phase_count"] = _value(view.phases)
        return _limits(leaves, {"ac_max_current_A": _value(0.0)}, amps < 0)

    def _limit(self, reply: Reply, view: EvseView, limits: dict[str, Any],
               then: Callable[[], None] | None = None) -> None:
        sink = self.api.sinks.get(view.module_id)
        if sink is None:
            reply({"error": "ErrorInvalidEVSEIndex"})  # EVerest's answer without an energy sink
            return
        self._call(reply, view, sink, "set_external_limits", then=then, value=limits)

    def _call(self, reply: Reply, view: EvseView, target: Any, cmd: str,
              then: Callable[[], None] | None = None, expect: Any = None, **args: Any) -> None:
        """Call ``cmd`` (on the EVSE unless ``target``); reply when it answered, or go on."""
        connection = target or self.api.evses[view.module_id]

        def answered(future: Future) -> None:
            failed = future.exception() is not None
            if failed:
                self.api.log.warning("%s.%s failed: %s", connection.module_id, cmd,
                                     future.exception())
            elif expect is not None and future.result() is not expect:
                failed = True
            if failed:
                reply({"error": "ErrorValuesNotApplied"})
            elif then is not None:
                then()
            else:
                reply(NO_ERROR)
        connection.call_async(cmd, **args).add_done_callback(answered)
