"""API: the classic ``everest_api/...`` MQTT topics for displays, Node-RED and scripts.

Per EvseManager it publishes the session, limits, meter, telemetry and capabilities and accepts
enable/disable, pause/resume/stop, unlock and limit commands (see ``evse_channel``). Besides
that it publishes the list of EVSEs, the active errors (from the error history if one is
connected, else the errors of the EVSEs it watches), the OCPP connection status and the
charger information file every second, and the charging schedules the EVSEs are held to when
they change (as EVerest publishes OCPP's only when updated).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import yaml

from pycharge.modules.API.commands import RejectedError
from pycharge.modules.API.evse_channel import BASE, Action, EvseChannel
from pycharge.modules.API.rounding import Rounding
from pycharge.runtime.errors import Error
from pycharge.runtime.module import Module

PERIOD_S = 1.0
MAX_PENDING = 64  # commands waiting for the EVSEs to be ready


def error_object(error: Error) -> dict[str, Any]:
    """An error in the shape of ``error_history#/ErrorObject``."""
    return {"type": error.type, "sub_type": error.sub_type, "description": error.description,
            "message": error.message, "severity": error.severity,
            "origin": {"module_id": error.origin.get("module_id", ""),
                       "implementation_id": error.origin.get("implementation_id", "")},
            "timestamp": error.timestamp, "uuid": error.uuid, "state": error.state}


class API(Module):
    def init(self) -> None:
        self.rounding = Rounding(self.config)
        self.seen_errors: dict[str, Error] = {}
        self._pending: deque[tuple[str, Action]] = deque()
        self._history_busy = False
        self._history_failing = False
        evses = self.connections("evse_manager")
        sinks: list[Any] = self.connections("evse_energy_sink")
        if sinks and len(sinks) != len(evses):
            self.log.warning("%d evse_energy_sink(s) for %d EVSE(s): cannot tell which belongs to "
                             "which, so limit commands are refused", len(sinks), len(evses))
        if len(sinks) != len(evses):
            sinks = [None] * len(evses)
        delays = {delay.module_id: delay for delay in self.connections("random_delay")}
        self.channels = [EvseChannel(self, number, evse, sink, delays.get(evse.module_id))
                         for number, (evse, sink) in enumerate(zip(evses, sinks, strict=True), 1)]
        self.history = self.connection("error_history")
        self.info = self._charger_information(self.config["charger_information_file"])

    def ready(self) -> None:
        self.every(PERIOD_S, self.publish_periodic)
        self.publish_periodic()

    def _charger_information(self, path: str) -> Any:
        if not path:
            return None
        try:
            with open(path, encoding="utf-8") as stream:
                return yaml.safe_load(stream)
        except (OSError, yaml.YAMLError) as exc:
            self.log.error("cannot read charger_information_file %s: %s", path, exc)
            return None

    # -- commands --------------------------------------------------------------------------------
    def on_command(self, what: str, read: Callable[[bytes], Action], payload: bytes) -> None:
        """Read a command; run it now if every EVSE is ready, else once they are."""
        try:
            action = read(payload)
        except RejectedError as exc:
            self.log.error("%s rejected: %s", what, exc)
            return
        if all(channel.ready for channel in self.channels):
            action()
            return
        if len(self._pending) >= MAX_PENDING:
            dropped, _ = self._pending.popleft()
            self.log.warning("too many commands waiting for the EVSEs to be ready; dropped %s", dropped)
        self.log.info("%s waits until every EVSE is ready", what)
        self._pending.append((what, action))

    def run_pending(self) -> None:
        if all(channel.ready for channel in self.channels):
            while self._pending:
                self._pending.popleft()[1]()

    # -- periodic publications ---------------------------------------------------------------------
    def publish_periodic(self) -> None:
        self.publish_external(f"{BASE}connectors", json.dumps([c.id for c in self.channels]))
        for channel in self.channels:
            channel.publish_periodic()
        self.publish_external(f"{BASE}ocpp/var/connection_status", "unknown")  # no OCPP here
        if self.info is not None:
            self.publish_external(f"{BASE}info/var/info", json.dumps(self.info, default=str))
        self._publish_active_errors()

    def publish_charging_schedules(self) -> None:
        """Where EVerest shows OCPP's composite schedules: the schedule each EVSE is held to."""
        schedules = [channel.schedule for channel in self.channels if channel.schedule is not None]
        if schedules:
            self.publish_external(f"{BASE}ocpp/var/charging_schedules",
                                  json.dumps({"schedules": schedules}))

    def _publish_active_errors(self) -> None:
        topic = f"{BASE}errors/var/active_errors"
        if self.history is None:
            self.publish_external(topic, json.dumps([error_object(e) for e in self.seen_errors.values()]))
            return
        if self._history_busy:
            return
        self._history_busy = True
        self.history.call_async("get_errors", filters={"state_filter": "Active"}).add_done_callback(
            lambda future: self._history_answered(topic, future))

    def _history_answered(self, topic: str, future: Future) -> None:
        self._history_busy = False
        error = future.exception()
        if error is not None:
            if not self._history_failing:
                self.log.warning("no active errors from the error history: %s", error)
            self._history_failing = True
            return
        if self._history_failing:
            self.log.info("the error history answers again")
        self._history_failing = False
        self.publish_external(topic, json.dumps(future.result()))
