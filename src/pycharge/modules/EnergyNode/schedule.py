"""What an EnergyNode requests: its fuse, on its own or laid over the external limits.

The node caps the grid side (``limits_to_root``) of every step at its fuse rating and phase
count, as EVerest's EnergyNode does; what the outside asked for stays on the car side
(``limits_to_leaves``). The EnergyManager takes the lower of both sides, so an external limit can
lower the current below the fuse but never raise it above.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

Step = dict[str, Any]


@dataclass(frozen=True)
class Fuse:
    """The fuse of one node, from its config."""

    limit_amps: float
    phase_count: int  # 0: the node does not limit the number of phases
    nominal_volts: float
    enhance_external_schedule: bool
    source: str

    def _limits(self) -> dict[str, Any]:
        limits: dict[str, Any] = {"ac_max_current_A": {"value": self.limit_amps, "source": self.source}}
        if self.phase_count > 0:
            limits["ac_max_phase_count"] = {"value": self.phase_count, "source": self.source}
        return limits

    def local_schedule(self, timestamp: str) -> list[Step]:
        """One step valid from now on: the fuse alone, on both sides of the node."""
        return [{"timestamp": timestamp, "limits_to_root": self._limits(),
                 "limits_to_leaves": self._limits()}]

    def apply(self, external: list[Step], timestamp: str) -> list[Step]:
        """The external steps with the fuse enforced on their grid side; the fuse alone if none."""
        if not external:
            return self.local_schedule(timestamp)
        steps = copy.deepcopy(external)
        for step in steps:
            if self.enhance_external_schedule:
                self._derive_current(step)
            root = step["limits_to_root"]
            current = root.get("ac_max_current_A")
            if current is None or current["value"] > self.limit_amps:
                root["ac_max_current_A"] = {"value": self.limit_amps, "source": self.source}
            phases = root.get("ac_max_phase_count")
            if self.phase_count > 0 and (phases is None or phases["value"] > self.phase_count):
                root["ac_max_phase_count"] = {"value": self.phase_count, "source": self.source}
        return steps

    def _derive_current(self, step: Step) -> None:
        """Turn a grid-side power limit without a current limit into a current limit per phase."""
        root = step["limits_to_root"]
        power = root.get("total_power_W")
        if power is None or power["value"] <= 0 or "ac_max_current_A" in root:
            return
        phases = (_positive(root.get("ac_max_phase_count"))
                  or _positive(step["limits_to_leaves"].get("ac_max_phase_count"))
                  or self.phase_count or 1)
        root["ac_max_current_A"] = {"value": power["value"] / (self.nominal_volts * phases),
                                    "source": self.source}


def _positive(entry: dict[str, Any] | None) -> int:
    return entry["value"] if entry is not None and entry["value"] > 0 else 0


def contains_node(request: dict[str, Any] | None, uuid: str) -> bool:
    """Whether ``uuid`` is the node of ``request`` or any node below it."""
    if request is None:
        return False
    return request["uuid"] == uuid or any(contains_node(c, uuid) for c in request["children"])
