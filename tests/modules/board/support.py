"""Helpers for the board tests: a hand-driven clock and the simulated board behind the HAL.

``ManualClock`` is the one stand-in: time moves only when the code under test ticks or sleeps,
so a sampling loop can be stepped deterministically. Everything else is the real simulated
board (``pycharge.simulation``) and the real driver classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal
from tests.support.clocks import ManualClock


def sim_board(**options: Any) -> tuple[ManualClock, Board, SimHal]:
    clock = ManualClock()
    board = Board(clock, **options)
    return clock, board, SimHal(board)


@dataclass
class Recorder:
    """A sampling-loop listener that keeps what it was told, in order."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def cp_verdict(self, verdict: Any, republish: bool) -> None:
        self.calls.append(("republish" if republish else "verdict", verdict))

    def power_event(self, event: str) -> None:
        self.calls.append(("power", event))

    def contactor_fault(self, message: str) -> None:
        self.calls.append(("fault", message))

    def contactor_recovered(self) -> None:
        self.calls.append(("recovered", None))

    def rcm_changed(self, tripped: bool) -> None:
        self.calls.append(("rcm", tripped))

    def of(self, kind: str) -> list[Any]:
        return [value for k, value in self.calls if k == kind]

    def states(self) -> list[str]:
        return [v.state.value for v in self.of("verdict")]
