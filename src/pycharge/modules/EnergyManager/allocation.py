"""Sharing the import current among the EVSEs of the energy tree (AC).

Simpler than EVerest's market and brokers, enough for AC charging:

1. Each node has a budget: its current limit in A and its power limit in W (either may be
   absent). Power limits count against an EVSE as ``A x nominal voltage x phases``, with the
   phases the EVSE uses (3 unless it says otherwise, capped by the phase limits on its path).
2. Every EVSE first gets its minimum current (6 A for a typical EV) if every node on its path
   can give it; otherwise it gets nothing, since less than the minimum cannot charge.
3. The rest is handed out in slices of ``slice_ampere``, one slice per EVSE per round, until no
   EVSE can take more. EVSEs sharing a fuse thus end up with equal shares.

An EVSE with no limit at all on its path gets 0 A: a missing limit never means "unlimited".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pycharge.modules.EnergyManager.tree import Limit, Node, lower

_EPSILON = 1e-6
_MAX_ROUNDS = 200


@dataclass(frozen=True)
class Settings:
    nominal_ac_voltage: float
    slice_ampere: float
    valid_for: int  # seconds, on the EVSE's monotonic clock
    source: str  # names the EnergyManager where it is the reason for a limit


@dataclass(frozen=True)
class Grant:
    """What one EVSE may draw."""

    uuid: str
    amps: float
    source: str
    phases: Limit | None  # the phase limit on its path, if any
    watts: float | None  # set if a power limit applies on its path


class _Budget:
    """What is left at each node while sharing."""

    def __init__(self, paths: list[tuple[Node, ...]]) -> None:
        nodes = {id(n): n for path in paths for n in path}
        self.amps = {k: _value(n.limits.max_current) for k, n in nodes.items()}
        self.watts = {k: _value(n.limits.max_power) for k, n in nodes.items()}

    def headroom(self, path: tuple[Node, ...], watts_per_amp: float) -> tuple[float, str | None]:
        """The most current the path can still give, and the source of the tightest limit."""
        best, source = math.inf, None
        for node in path:
            for room, limit in ((self.amps[id(node)], node.limits.max_current),
                                (self.watts[id(node)] / watts_per_amp, node.limits.max_power)):
                if room < best - _EPSILON:
                    best, source = room, limit.source if limit else None
        return max(0.0, best), source

    def take(self, path: tuple[Node, ...], amps: float, watts_per_amp: float) -> None:
        for node in path:
            self.amps[id(node)] -= amps
            self.watts[id(node)] -= amps * watts_per_amp


def _value(limit: Limit | None) -> float:
    return math.inf if limit is None else max(0.0, limit.value)


@dataclass
class _Evse:
    path: tuple[Node, ...]
    watts_per_amp: float
    minimum: float
    phases: Limit | None  # what the EVSE is told as ac_max_phase_count
    granted: float = 0.0
    active: bool = True


def _phases(path: tuple[Node, ...], decided: Mapping[str, Limit] | None = None
            ) -> tuple[int, Limit | None]:
    """Phases the EVSE uses (3 unless it says otherwise) and the phase limit on its path."""
    if decided is not None and path[-1].uuid in decided:
        choice = decided[path[-1].uuid]
        return int(choice.value), choice
    limit = None
    for node in path:
        if node.limits.max_phases is not None and node.limits.max_phases.value >= 1:
            limit = lower(limit, node.limits.max_phases)
    phases = path[-1].limits.active_phases or 3
    return (min(phases, int(limit.value)) if limit else phases), limit


def allocate(root: Node, settings: Settings, decided: Mapping[str, Limit] | None = None
             ) -> list[Grant]:
    """Share the tree's import budget among its EVSEs; ``decided``: the phase count chosen for
    an EVSE (see ``phases``), else the phases it uses within the phase limits of its path."""
    paths = list(root.evse_paths())
    budget = _Budget(paths)
    evses = []
    for path in paths:
        phases, limit = _phases(path, decided)
        minimum = max((n.limits.min_current.value for n in path if n.limits.min_current), default=0.0)
        evses.append(_Evse(path, settings.nominal_ac_voltage * phases, max(0.0, minimum), limit))
    for evse in evses:
        if evse.minimum > 0:
            room, _ = budget.headroom(evse.path, evse.watts_per_amp)
            if room + _EPSILON < evse.minimum:
                evse.active = False
                continue
            budget.take(evse.path, evse.minimum, evse.watts_per_amp)
            evse.granted = evse.minimum
    step = _slice(evses, budget, settings.slice_ampere)
    while True:
        progress = False
        for evse in (e for e in evses if e.active):
            room, _ = budget.headroom(evse.path, evse.watts_per_amp)
            if room <= _EPSILON or math.isinf(room):
                evse.active = False
                continue
            amount = min(step, room)
            budget.take(evse.path, amount, evse.watts_per_amp)
            evse.granted += amount
            progress = True
        if not progress:
            break
    return [_grant(evse, budget, settings) for evse in evses]


def _slice(evses: list[_Evse], budget: _Budget, slice_ampere: float) -> float:
    """``slice_ampere``, made coarser where needed so that sharing takes at most ~200 rounds."""
    rooms = [budget.headroom(e.path, e.watts_per_amp)[0] for e in evses if e.active]
    largest = max((r for r in rooms if not math.isinf(r)), default=0.0)
    return max(slice_ampere, largest / _MAX_ROUNDS)


def _grant(evse: _Evse, budget: _Budget, settings: Settings) -> Grant:
    room, source = budget.headroom(evse.path, evse.watts_per_amp)
    if math.isinf(room):  # nothing on the path limits it: refuse rather than guess
        return Grant(evse.path[-1].uuid, 0.0, f"{settings.source}/no_limit", None, None)
    current = round(evse.granted, 3)
    has_power_limit = any(n.limits.max_power is not None for n in evse.path)
    return Grant(evse.path[-1].uuid, current, source or settings.source, evse.phases,
                 round(current * evse.watts_per_amp, 1) if has_power_limit else None)


def nothing(root: Node, source: str) -> list[Grant]:
    """0 A for every EVSE, e.g. when the tree's request is too old to be trusted."""
    return [Grant(path[-1].uuid, 0.0, source, None, None) for path in root.evse_paths()]


def enforced_limits(grant: Grant, settings: Settings, timestamp: str) -> dict[str, Any]:
    """The ``energy#/EnforcedLimits`` that tells one EVSE its grant."""
    limits: dict[str, Any] = {"ac_max_current_A": {"value": grant.amps, "source": grant.source}}
    if grant.phases is not None:
        limits["ac_max_phase_count"] = {"value": int(grant.phases.value), "source": grant.phases.source}
    if grant.watts is not None:
        limits["total_power_W"] = {"value": grant.watts, "source": grant.source}
    return {"uuid": grant.uuid, "valid_for": settings.valid_for, "limits_root_side": limits,
            "schedule": [{"timestamp": timestamp, "limits_to_root": limits}]}
