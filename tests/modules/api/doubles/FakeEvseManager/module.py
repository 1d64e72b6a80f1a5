"""An EvseManager stand-in: answers every evse_manager command, records it, and publishes
session events, meter readings and the like when a test asks it to (via ``submit``)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from pycharge.runtime.clock import rfc3339
from pycharge.runtime.module import Implementation, Module


def meter(wh: float, watts: float = 0.0) -> dict[str, Any]:
    return {"timestamp": rfc3339(), "energy_Wh_import": {"total": wh}, "power_W": {"total": watts}}


class Evse(Implementation):
    module: FakeEvseManager

    def _record(self, cmd: str, **args: Any) -> None:
        self.module.calls.append((cmd, args))

    def get_evse(self) -> dict[str, Any]:
        self._record("get_evse")
        return {"id": self.module.config["evse_id"], "connectors": [{"id": 1, "type": "sType2"}]}

    def enable_disable(self, connector_id: int, cmd_source: dict[str, Any]) -> bool:
        self._record("enable_disable", connector_id=connector_id, cmd_source=cmd_source)
        return cmd_source["enable_state"] != "Disable"

    def authorize_response(self, provided_token: dict, validation_result: dict) -> None:
        self._record("authorize_response", provided_token=provided_token,
                     validation_result=validation_result)

    def withdraw_authorization(self) -> None:
        self._record("withdraw_authorization")

    def reserve(self, reservation_id: int) -> bool:
        self._record("reserve", reservation_id=reservation_id)
        return False

    def cancel_reservation(self) -> None:
        self._record("cancel_reservation")

    def pause_charging(self) -> bool:
        self._record("pause_charging")
        return True

    def resume_charging(self) -> bool:
        self._record("resume_charging")
        return True

    def stop_transaction(self, request: dict[str, Any]) -> bool:
        self._record("stop_transaction", request=request)
        return True

    def force_unlock(self, connector_id: int) -> bool:
        self._record("force_unlock", connector_id=connector_id)
        return True

    def external_ready_to_start_charging(self) -> bool:
        self._record("external_ready_to_start_charging")
        return False

    def set_plug_and_charge_configuration(self, plug_and_charge_configuration: dict) -> None:
        self._record("set_plug_and_charge_configuration")

    def update_allowed_energy_transfer_modes(self, allowed_energy_transfer_modes: list) -> str:
        self._record("update_allowed_energy_transfer_modes")
        return "NoHlc"


class Grid(Implementation):
    module: FakeEvseManager

    def enforce_limits(self, value: dict[str, Any]) -> None:
        self.module.enforced.append(value)


class RandomDelay(Implementation):
    module: FakeEvseManager

    def enable(self) -> None:
        self.module.calls.append(("random_delay.enable", {}))

    def disable(self) -> None:
        self.module.calls.append(("random_delay.disable", {}))

    def cancel(self) -> None:
        self.module.calls.append(("random_delay.cancel", {}))

    def set_duration_s(self, value: int) -> None:
        self.module.calls.append(("random_delay.set_duration_s", {"value": value}))


class FakeEvseManager(Module):
    implementations: ClassVar = {"evse": Evse, "energy_grid": Grid, "random_delay": RandomDelay}

    def init(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.enforced: list[dict[str, Any]] = []
        self.session_id = ""

    def ready(self) -> None:
        if self.config["publish_ready"]:
            self.publish("ready", True)
        self.request_energy()

    def publish(self, var: str, value: Any) -> None:
        self.impl["evse"].publish(var, value)

    def event(self, name: str, **details: Any) -> None:
        """Publish a session event; SessionStarted opens a session, SessionFinished ends it."""
        if name == "SessionStarted":
            self.session_id = uuid.uuid4().hex
        self.publish("session_event", {"uuid": self.session_id, "timestamp": rfc3339(),
                                       "event": name, **details})
        if name == "SessionFinished":
            self.session_id = ""

    def request_energy(self) -> None:
        limits = {"ac_max_current_A": {"value": 32.0, "source": "caps"},
                  "ac_min_current_A": {"value": 6.0, "source": "caps"}}
        self.impl["energy_grid"].publish("energy_flow_request", {
            "uuid": self.id, "node_type": "Evse", "children": [], "schedule_import": [
                {"timestamp": rfc3339(), "limits_to_root": limits, "limits_to_leaves": {}}],
            "schedule_export": [], "schedule_setpoints": []})
