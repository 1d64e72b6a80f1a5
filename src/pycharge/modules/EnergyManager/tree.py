"""The energy tree as the EnergyManager sees it at one instant.

Every node's request is a schedule of steps with absolute UTC timestamps. At a given instant the
step in force is the last one that has started (or the first one, if none has yet). The limits
of a node are its grid side and its car side taken together: the lower maximum, the higher
minimum. A node that requests nothing gets nothing: a missing or unreadable import schedule
counts as 0 A.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pycharge.runtime.clock import parse_rfc3339


def active_step(steps: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    """The step in force at ``now``; steps with unreadable timestamps are left out."""
    chosen = None
    for step in steps:
        start = _start_of(step)
        if start is not None and (chosen is None or start <= now):
            chosen = step
    return chosen


def _start_of(step: dict[str, Any]) -> datetime | None:
    try:
        return parse_rfc3339(step["timestamp"])
    except ValueError:
        return None


@dataclass(frozen=True)
class Limit:
    """A number and who set it."""

    value: float
    source: str


def lower(a: Limit | None, b: Limit | None) -> Limit | None:
    """The lower of two limits; a missing one does not limit."""
    if a is None or b is None:
        return a or b
    return a if a.value <= b.value else b


def higher(a: Limit | None, b: Limit | None) -> Limit | None:
    if a is None or b is None:
        return a or b
    return a if a.value >= b.value else b


@dataclass(frozen=True)
class NodeLimits:
    """The import limits of one node at one instant; None means "does not limit"."""

    max_current: Limit | None = None
    min_current: Limit | None = None
    max_power: Limit | None = None
    max_phases: Limit | None = None
    min_phases: Limit | None = None
    active_phases: int | None = None


def _limit(entry: dict[str, Any] | None) -> Limit | None:
    return None if entry is None else Limit(float(entry["value"]), entry["source"])


def step_limits(step: dict[str, Any]) -> NodeLimits:
    """One request step's limits, grid side and car side merged."""
    root, leaves = step["limits_to_root"], step["limits_to_leaves"]
    leaves_power = _limit(leaves.get("total_power_W"))
    if leaves_power is not None:
        leaves_power = replace(leaves_power,
                               value=leaves_power.value / (step.get("conversion_efficiency") or 1.0))
    return NodeLimits(
        max_current=lower(_limit(root.get("ac_max_current_A")), _limit(leaves.get("ac_max_current_A"))),
        min_current=higher(_limit(root.get("ac_min_current_A")), _limit(leaves.get("ac_min_current_A"))),
        max_power=lower(_limit(root.get("total_power_W")), leaves_power),
        max_phases=lower(_limit(root.get("ac_max_phase_count")), _limit(leaves.get("ac_max_phase_count"))),
        min_phases=higher(_limit(root.get("ac_min_phase_count")), _limit(leaves.get("ac_min_phase_count"))),
        active_phases=root.get("ac_number_of_active_phases"),
    )


def with_setpoint(limits: NodeLimits, setpoint: dict[str, Any] | None) -> NodeLimits:
    """A charging setpoint caps the import; a discharging one stops it. Frequency tables are
    not supported and leave the limits as they are."""
    if setpoint is None:
        return limits
    if "ac_current_A" in setpoint:
        cap = Limit(max(0.0, float(setpoint["ac_current_A"])), setpoint["source"])
        return replace(limits, max_current=lower(limits.max_current, cap))
    if "total_power_W" in setpoint:
        cap = Limit(max(0.0, float(setpoint["total_power_W"])), setpoint["source"])
        return replace(limits, max_power=lower(limits.max_power, cap))
    return limits


@dataclass
class Node:
    """One node of the tree with its limits at the instant the tree was read."""

    uuid: str
    node_type: str
    limits: NodeLimits
    children: list[Node] = field(default_factory=list)
    evse_state: str | None = None  # energy#/EvseState, sent by EVSEs

    def evse_paths(self, above: tuple[Node, ...] = ()) -> Iterator[tuple[Node, ...]]:
        """For every EVSE below (or at) this node: the nodes from the root down to it."""
        path = (*above, self)
        if self.node_type == "Evse":
            yield path
        for child in self.children:
            yield from child.evse_paths(path)


def read_tree(request: dict[str, Any], now: datetime, nothing_source: str) -> Node:
    """The tree of ``request`` with each node's limits in force at ``now``."""
    step = active_step(request["schedule_import"], now)
    limits = NodeLimits(max_current=Limit(0.0, nothing_source)) if step is None else step_limits(step)
    setpoint_step = active_step(request["schedule_setpoints"], now)
    limits = with_setpoint(limits, setpoint_step and setpoint_step.get("setpoint"))
    return Node(request["uuid"], request["node_type"], limits,
                [read_tree(child, now, nothing_source) for child in request["children"]],
                request.get("evse_state"))
