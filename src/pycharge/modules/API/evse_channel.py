"""The classic API of one EvseManager: ``everest_api/<evse>/var/...`` and ``.../cmd/...``.

Variables are published when they change. The ones EVerest's API repeats every second
(datetime, session_info, hardware_capabilities, selected_protocol) are repeated by
``publish_periodic`` too; limits and powermeter come from the EvseManager every second anyway, so
repeating them would only double the traffic. Commands are read at once (a bad payload is logged
and dropped) and carried out once every EVSE of the API is ready.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

from pycharge.modules.API import commands
from pycharge.modules.API.commands import RejectedError
from pycharge.modules.API.everest_payloads import charging_schedule, everest_telemetry
from pycharge.modules.API.session_info import SessionInfo
from pycharge.runtime.clock import rfc3339
from pycharge.runtime.errors import Error
from pycharge.runtime.module import Connection

if TYPE_CHECKING:
    from pycharge.modules.API.module import API

BASE = "everest_api/"
INOPERATIVE = "evse_manager/Inoperative"
Action = Callable[[], None]


class EvseChannel:
    """What the API shows and accepts for one EvseManager (and its energy sink, if any)."""

    def __init__(self, api: API, number: int, evse: Connection, sink: Connection | None,
                 random_delay: Connection | None) -> None:
        self.api = api
        self.number = number  # 1, 2 ... in the order of the evse_manager connections
        self.evse = evse
        self.sink = sink
        self.random_delay = random_delay
        self.id = evse.module_id
        self.base = f"{BASE}{self.id}"
        self.ready = False
        self.schedule: dict[str, Any] | None = None  # ocpp#/ChargingSchedule, once known
        self.session = SessionInfo(api.clock.monotonic)
        self._repeated: dict[str, str] = {}
        self._inoperative: set[str] = set()
        rounded = api.rounding.apply
        evse.subscribe("ready", self._on_ready)
        evse.subscribe("session_event", self._on_session_event)
        evse.subscribe("hw_capabilities", lambda caps: self._keep(
            "hardware_capabilities", json.dumps(rounded("hardware_capabilities", caps))))
        evse.subscribe("limits", lambda limits: self._publish(
            "limits", json.dumps(rounded("limits", limits))))
        evse.subscribe("telemetry", lambda telemetry: self._publish(
            "telemetry", json.dumps(everest_telemetry(rounded("telemetry", telemetry)))))
        evse.subscribe("enforced_limits", self._on_enforced_limits)
        evse.subscribe("powermeter", self._on_powermeter)
        evse.subscribe("ev_info", lambda info: self._publish("ev_info", json.dumps(info)))
        evse.subscribe("selected_protocol", lambda protocol: self._keep("selected_protocol", protocol))
        evse.subscribe_errors(self._on_error_raised, self._on_error_cleared)
        if random_delay is not None:
            random_delay.subscribe("countdown", self.session.on_countdown)
        for name, read in self._commands().items():
            api.subscribe_external(f"{self.base}/cmd/{name}", lambda _topic, payload, name=name,
                                   read=read: api.on_command(f"{self.id}/cmd/{name}", read, payload))

    # -- variables -----------------------------------------------------------------------------
    def _publish(self, name: str, payload: str) -> None:
        self.api.publish_external(f"{self.base}/var/{name}", payload)

    def _keep(self, name: str, payload: str) -> None:
        """Publish a variable that EVerest's API repeats every second (hardware_capabilities,
        selected_protocol)."""
        self._repeated[name] = payload
        self._publish(name, payload)

    def publish_periodic(self) -> None:
        self._publish("datetime", rfc3339())
        self._publish("session_info", json.dumps(self.session.to_json()))
        for name, payload in self._repeated.items():
            self._publish(name, payload)

    def _on_ready(self, ready: bool) -> None:
        if ready and not self.ready:
            self.ready = True
            self.api.run_pending()

    def _on_session_event(self, event: dict[str, Any]) -> None:
        self.session.on_event(event)
        logging_path = (event.get("session_started") or {}).get("logging_path")
        if logging_path:
            self._publish("logging_path", logging_path)
        self._publish("session_info", json.dumps(self.session.to_json()))
        # An EVSE that reports sessions is running, even if we missed its "ready" (restart).
        self._on_ready(True)

    def _on_enforced_limits(self, limits: dict[str, Any]) -> None:
        """A new schedule only when its periods change: the energy manager re-sends the same
        limits with a fresh timestamp every cycle."""
        try:
            schedule = charging_schedule(self.number, limits)
        except ValueError as exc:
            self.api.log.error("%s enforced_limits rejected: %s", self.id, exc)
            return
        old = self.schedule
        if old is None or (old["charging_rate_unit"], old["charging_schedule_period"]) != (
                schedule["charging_rate_unit"], schedule["charging_schedule_period"]):
            self.schedule = schedule
            self.api.publish_charging_schedules()

    def _on_powermeter(self, meter: dict[str, Any]) -> None:
        self.session.on_meter(meter)
        self._publish("powermeter", json.dumps(self.api.rounding.apply("powermeter", meter)))

    def _on_error_raised(self, error: Error) -> None:
        self.api.seen_errors[error.uuid] = error
        if error.type == INOPERATIVE:
            self._inoperative.add(error.uuid)
            self.session.permanent_fault = True

    def _on_error_cleared(self, error: Error) -> None:
        self.api.seen_errors.pop(error.uuid, None)
        self._inoperative.discard(error.uuid)
        self.session.permanent_fault = bool(self._inoperative)

    # -- commands --------------------------------------------------------------------------------
    def _commands(self) -> dict[str, Callable[[bytes], Action]]:
        """Each command's reader: payload -> what to do once the EVSEs are ready."""
        return {
            "enable_disable": lambda p: self._enable_disable(*commands.enable_disable(p)),
            "enable": lambda p: self._enable_disable(*commands.legacy_enable_disable(p, "Enable")),
            "disable": lambda p: self._enable_disable(*commands.legacy_enable_disable(p, "Disable")),
            "pause_charging": lambda _p: self._action("pause_charging"),
            "resume_charging": lambda _p: self._action("resume_charging"),
            "stop_charging": lambda _p: self._action("stop_transaction", request={"reason": "Local"}),
            "force_unlock": self._force_unlock,
            "set_limit_amps": lambda p: self._limit(partial(
                commands.external_limits, commands.number(p), "ac_max_current_A")),
            "set_limit_watts": lambda p: self._limit(partial(
                commands.external_limits, commands.number(p), "total_power_W")),
            "set_limit_amps_phases": lambda p: self._limit(partial(
                commands.external_limits_with_phases, *commands.amps_phases(p))),
            "uk_random_delay": lambda p: self._random_delay(commands.random_delay_command(p)),
            "uk_random_delay_set_max_duration_s": lambda p: self._random_delay(
                "set_duration_s", value=commands.integer(p, 0)),
        }

    def _action(self, cmd: str, **args: Any) -> Action:
        return lambda: self._call(self.evse, cmd, args)

    def _enable_disable(self, connector_id: int, source: dict[str, Any]) -> Action:
        return self._action("enable_disable", connector_id=connector_id, cmd_source=source)

    def _force_unlock(self, payload: bytes) -> Action:
        connector_id = commands.force_unlock_connector(payload)

        def unlock() -> None:  # as OCPP's UnlockConnector: end the transaction, then unlock
            self._call(self.evse, "stop_transaction", {"request": {"reason": "UnlockCommand"}})
            self._call(self.evse, "force_unlock", {"connector_id": connector_id})
        return unlock

    def _limit(self, build: Callable[[str], dict[str, Any]]) -> Action:
        """Limits go to the EVSE's energy sink, stamped when they are sent."""
        sink = self.sink
        if sink is None:
            raise RejectedError("no evse_energy_sink is connected for this EVSE")
        return lambda: self._call(sink, "set_external_limits", {"value": build(rfc3339())})

    def _random_delay(self, cmd: str, **args: Any) -> Action:
        """To the ``random_delay`` connection of the same module as this EVSE (as EVerest)."""
        target = self.random_delay
        if target is None:
            raise RejectedError(f"no random_delay of module {self.id} is connected")
        return lambda: self._call(target, cmd, args)

    def _call(self, target: Connection, cmd: str, args: dict[str, Any]) -> None:
        what = f"{target.module_id}.{cmd}"
        target.call_async(cmd, **args).add_done_callback(
            lambda future: self._answered(what, future))

    def _answered(self, what: str, future: Future) -> None:
        error = future.exception()
        if error is None:
            self.api.log.info("%s: %s", what, future.result())
        else:
            self.api.log.error("%s failed: %s", what, error)
