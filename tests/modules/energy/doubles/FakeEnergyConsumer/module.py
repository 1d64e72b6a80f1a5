"""An EVSE node of the energy tree that requests its hardware limits and records its limits."""

from __future__ import annotations

from typing import Any, ClassVar

from pycharge.runtime.clock import rfc3339
from pycharge.runtime.module import Implementation, Module


class Grid(Implementation):
    def enforce_limits(self, value: dict[str, Any]) -> None:
        self.module.enforced.append(value)


class FakeEnergyConsumer(Module):
    implementations: ClassVar = {"energy_grid": Grid}

    def init(self) -> None:
        self.enforced: list[dict[str, Any]] = []

    def ready(self) -> None:
        self.publish_request()

    def publish_request(self) -> None:
        limits = {"ac_max_current_A": {"value": self.config["max_current_A"], "source": "bsp_caps"},
                  "ac_min_current_A": {"value": self.config["min_current_A"], "source": "bsp_caps"},
                  "ac_max_phase_count": {"value": 3, "source": "bsp_caps"},
                  "ac_min_phase_count": {"value": self.config["min_phase_count"],
                                         "source": "bsp_caps"}}
        step = {"timestamp": rfc3339(), "limits_to_root": limits, "limits_to_leaves": {}}
        self.impl["energy_grid"].publish("energy_flow_request", {
            "uuid": self.id, "node_type": "Evse", "children": [], "evse_state": "Charging",
            "schedule_import": [step], "schedule_export": [], "schedule_setpoints": []})
