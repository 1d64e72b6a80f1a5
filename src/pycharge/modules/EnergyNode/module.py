"""EnergyNode: a fuse in the energy tree (e.g. the grid connection point).

It collects the energy flow requests of the nodes below it, adds its own limits (fuse rating,
phase count, and whatever was set through ``external_limits``) and publishes the result towards
the root. Limits the EnergyManager sends down for a node below are passed on to the branch that
holds that node.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

from pycharge.modules.EnergyNode.schedule import Fuse, contains_node
from pycharge.runtime.clock import rfc3339
from pycharge.runtime.module import Connection, Implementation, Module


class EnergyGrid(Implementation):
    """``energy``: towards the root."""

    module: EnergyNode

    def enforce_limits(self, value: dict[str, Any]) -> None:
        self.module.route_limits(value)


class ExternalLimits(Implementation):
    """``external_energy_limits``: limits from outside the tree; the last caller wins."""

    module: EnergyNode

    def set_external_limits(self, value: dict[str, Any]) -> None:
        self.module.set_external_limits(value)


class EnergyNode(Module):
    implementations: ClassVar = {"energy_grid": EnergyGrid, "external_limits": ExternalLimits}

    def init(self) -> None:
        self.fuse = Fuse(self.config["fuse_limit_A"], self.config["phase_count"],
                         self.config["nominal_voltage_V"], self.config["enhance_external_schedule"],
                         f"{self.id}/module_config")
        self._external: dict[str, Any] = {}
        self._children: dict[int, dict[str, Any]] = {}
        self._unreachable: set[str] = set()
        for index, consumer in enumerate(self.connections("energy_consumer")):
            consumer.subscribe("energy_flow_request",
                               lambda request, index=index: self._on_child_request(index, request))

    def ready(self) -> None:
        self._publish()

    def reconnected(self) -> None:
        self._publish()

    def _on_child_request(self, index: int, request: dict[str, Any]) -> None:
        self._children[index] = request
        self._publish()

    def set_external_limits(self, value: dict[str, Any]) -> None:
        self.log.info("external limits set: %d import, %d export, %d setpoint step(s)",
                      len(value["schedule_import"]), len(value["schedule_export"]),
                      len(value["schedule_setpoints"]))
        self._external = value
        self._publish()

    def request(self) -> dict[str, Any]:
        """This node's energy flow request, with the latest request of every child."""
        now = rfc3339()
        return {
            "uuid": self.id,
            "node_type": "Generic",
            "children": [self._children[index] for index in sorted(self._children)],
            "schedule_import": self.fuse.apply(self._external.get("schedule_import", []), now),
            "schedule_export": self.fuse.apply(self._external.get("schedule_export", []), now),
            "schedule_setpoints": list(self._external.get("schedule_setpoints", [])),
        }

    def _publish(self) -> None:
        self.impl["energy_grid"].publish("energy_flow_request", self.request())

    def route_limits(self, value: dict[str, Any]) -> None:
        """Pass limits on towards the node they are meant for; a fuse has nothing to apply itself."""
        if value["uuid"] == self.id:
            return
        consumers = self.connections("energy_consumer")
        targets = [c for index, c in enumerate(consumers)
                   if contains_node(self._children.get(index), value["uuid"])] or consumers
        for consumer in targets:
            consumer.call_async("enforce_limits", value=value).add_done_callback(
                lambda future, consumer=consumer: self._delivered(consumer, future))

    def _delivered(self, consumer: Connection, future: Future) -> None:
        error = future.exception()
        if error is not None and consumer.module_id not in self._unreachable:
            self.log.warning("could not pass limits on to %s: %s", consumer.module_id, error)
            self._unreachable.add(consumer.module_id)
        elif error is None and consumer.module_id in self._unreachable:
            self.log.info("limits reach %s again", consumer.module_id)
            self._unreachable.discard(consumer.module_id)
