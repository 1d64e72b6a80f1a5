"""What the soak does, drawn from a seeded random generator: the same seed, the same run.

Each session: the car plugs in and asks for a current on one or three phases; while it
charges, a few things happen at random times (the user pauses through the API, the site limit
changes, the car pauses on its own, a physical fault appears on the board and goes away); then
the car leaves and the charger rests a random while before the next car.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Faults the board driver detects by itself in bsp-only.yaml (the RCM input is off there):
# the car's diode shorted, the pilot shorted to PE.
FAULTS = ("DiodeFault", "MREC14PilotFault")
ACTIONS = ("pause", "limit", "ev_pause", "fault")


@dataclass(frozen=True)
class Action:
    at_s: float  # after the charging started
    kind: str  # one of ACTIONS
    duration_s: float = 0.0  # pause, ev_pause, fault: how long until it is undone
    value: float | str = 0.0  # limit: amperes; fault: its carsim name


@dataclass(frozen=True)
class SessionPlan:
    amps: int
    phases: int
    charge_s: float
    rest_s: float
    actions: list[Action] = field(default_factory=list)


@dataclass(frozen=True)
class Pace:
    """How long things last: short for CI, longer (more like real use) for the long run."""

    charge_s: tuple[float, float] = (6.0, 14.0)
    rest_s: tuple[float, float] = (0.5, 3.0)
    undo_after_s: tuple[float, float] = (1.0, 3.0)
    max_actions: int = 3


CI_PACE = Pace()
LONG_PACE = Pace(charge_s=(20.0, 120.0), rest_s=(1.0, 20.0), undo_after_s=(2.0, 15.0),
                 max_actions=5)


def session_plan(rng: random.Random, pace: Pace) -> SessionPlan:
    charge_s = rng.uniform(*pace.charge_s)
    actions = []
    for _ in range(rng.randint(0, pace.max_actions)):
        kind = rng.choice(ACTIONS)
        at_s = rng.uniform(0.5, charge_s * 0.7)
        duration = min(rng.uniform(*pace.undo_after_s), max(0.5, charge_s - at_s - 0.5))
        if kind == "limit":
            actions.append(Action(at_s, kind, value=float(rng.choice((6, 8, 10, 13, 16)))))
        elif kind == "fault":
            actions.append(Action(at_s, kind, duration, rng.choice(FAULTS)))
        else:
            actions.append(Action(at_s, kind, duration))
    actions.sort(key=lambda a: a.at_s)
    return SessionPlan(amps=rng.choice((6, 10, 13, 16)), phases=rng.choice((1, 3)),
                       charge_s=charge_s, rest_s=rng.uniform(*pace.rest_s), actions=actions)
