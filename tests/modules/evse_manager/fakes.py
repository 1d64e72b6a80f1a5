"""Test doubles for EvseManager's logic: a clock the test moves, a board that records commands,
an error state, a meter that answers when told. No bus involved."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pycharge.modules.EvseManager.billing import MeterCall
from pycharge.modules.EvseManager.charger import Charger, ChargerConfig, EvseState
from pycharge.modules.EvseManager.error_handling import ErrorHandling
from pycharge.modules.EvseManager.iec61851 import IecStateMachine
from pycharge.modules.EvseManager.overcurrent import SoftOverCurrent
from pycharge.modules.EvseManager.power_budget import PowerBudget
from pycharge.modules.EvseManager.session import Session
from pycharge.modules.EvseManager.transactions import Transactions
from pycharge.runtime.errors import Error

LOG = logging.getLogger("test.evse_manager")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingBoard:
    """``iec61851.Board``: every command as a tuple, in order."""

    def __init__(self) -> None:
        self.commands: list[tuple[Any, ...]] = []
        self.unanswered: list[Any] = []

    def enable(self, value: bool) -> None:
        self.commands.append(("enable", value))

    def pwm_on(self, percent: float) -> None:
        self.commands.append(("pwm_on", round(percent, 2)))

    def cp_state_x1(self) -> None:
        self.commands.append(("X1",))

    def cp_state_f(self) -> None:
        self.commands.append(("F",))

    def allow_power_on(self, value: bool, reason: str) -> None:
        self.commands.append(("allow_power_on", value))

    def switch_three_phases(self, value: bool, done: Any) -> None:
        """``phase_switching.PhaseBoard``: recorded; the test answers through ``answer``."""
        self.commands.append(("switch_three_phases", value))
        self.unanswered.append(done)

    def answer(self, error: str | None = None) -> None:
        """The board's answer to the oldest outstanding phase switch."""
        self.unanswered.pop(0)(error)

    def lock(self) -> None:
        self.commands.append(("lock",))

    def unlock(self) -> None:
        self.commands.append(("unlock",))

    def take(self) -> list[tuple[Any, ...]]:
        taken, self.commands = self.commands, []
        return taken

    def power(self) -> list[bool]:
        """Only the allow_power_on values, in order."""
        return [c[1] for c in self.commands if c[0] == "allow_power_on"]


class FakeOwnErrors:
    """``error_handling.OwnErrors`` keeping Error objects like the runtime does."""

    def __init__(self) -> None:
        self.errors: dict[tuple[str, str], Error] = {}

    def raise_error(self, error_type: str, message: str = "", sub_type: str = "",
                    severity: str = "High") -> Error | None:
        if (error_type, sub_type) in self.errors:
            return None
        error = Error(error_type, sub_type, message, severity=severity)
        self.errors[error.key] = error
        return error

    def clear_error(self, error_type: str, sub_type: str | None = None) -> list[Error]:
        keys = [k for k in self.errors if k[0] == error_type and sub_type in (None, k[1])]
        return [self.errors.pop(k) for k in keys]

    def active_errors(self) -> list[Error]:
        return list(self.errors.values())

    def types(self) -> set[str]:
        return {k[0] for k in self.errors}


class FakeMeter:
    """``transactions.Meter``: calls stay open until the test answers them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, MeterCall]] = []

    def start_transaction(self, request: dict[str, Any]) -> MeterCall:
        call = MeterCall()
        self.calls.append(("start", request, call))
        return call

    def stop_transaction(self, transaction_id: str) -> MeterCall:
        call = MeterCall()
        self.calls.append(("stop", transaction_id, call))
        return call


@dataclass
class Rig:
    """The charger with everything it needs; ``events`` collects the session event names."""

    config: ChargerConfig = field(default_factory=ChargerConfig)
    meter: FakeMeter | None = None
    has_ventilation: bool = False
    fail_on_powermeter_errors: bool = True

    def __post_init__(self) -> None:
        self.clock = FakeClock()
        self.board = RecordingBoard()
        self.own = FakeOwnErrors()
        self.published: list[dict[str, Any]] = []  # every session event, never cleared
        self._taken = 0
        self.limits: list[float] = []
        self.iec = IecStateMachine(self.board, self.clock, True, self.has_ventilation, False)
        self.errors = ErrorHandling(self.own, LOG)
        self.session = Session(self.published.append, lambda protocol: None, self.clock, "UUID",
                               LOG)
        self.transactions = Transactions(self.session, self.meter, "DE*PNX*E1234567*1",
                                         self.fail_on_powermeter_errors, self.errors, LOG)
        self.budget = PowerBudget(self.clock, self.limits.append, LOG)
        self.overcurrent = SoftOverCurrent(10.0, 0.5, 7000)
        self.charger = Charger(self.iec, self.budget, self.errors, self.session,
                               self.transactions, self.overcurrent, self.clock, self.config, LOG)

    # -- driving it like module.py does -------------------------------------------------------------
    def start(self, budget_a: float = 16.0) -> None:
        """Ready: 0 A budget, board enabled, charger running, then a budget from the EM."""
        self.budget.set_max_current(0.0, 120)
        self.iec.enable(True)
        self.charger.start()
        self.charger.settle()
        if budget_a:
            self.set_budget(budget_a)

    def set_budget(self, ampere: float, valid_for: float = 10) -> None:
        self.budget.set_max_current(ampere, valid_for)
        self.charger.settle()

    def cp(self, *events: str) -> None:
        """Board events (A..F, PowerOn, PowerOff), each handled as it arrives."""
        for event in events:
            self.iec.bsp_event(event)
            self.charger.settle()

    def advance(self, seconds: float, step: float = 0.1) -> None:
        """Let time pass with the module's fast tick."""
        end = self.clock.now + seconds
        while self.clock.now < end - 1e-9:
            self.clock.now = min(end, self.clock.now + step)
            self.charger.tick()

    def raise_error(self, source: str, error_type: str, severity: str = "High") -> Error:
        error = Error(error_type, severity=severity)
        self.errors.raised(source, error)
        self.charger.settle()
        return error

    def clear_error(self, source: str, error: Error) -> None:
        self.errors.cleared(source, error)
        self.charger.settle()

    # -- looking at it ------------------------------------------------------------------------------
    @property
    def state(self) -> EvseState:
        return self.charger.state

    def events(self) -> list[str]:
        """Names of the session events not taken yet."""
        return [e["event"] for e in self.published[self._taken:]]

    def take_events(self) -> list[str]:
        names = self.events()
        self._taken = len(self.published)
        return names

    def last(self, event: str) -> dict[str, Any]:
        return [e for e in self.published if e["event"] == event][-1]

    def charge(self) -> None:
        """Plug in (B), car requests power (C), relays confirmed on: state Charging."""
        self.cp("B")
        self.cp("C")
        self.cp("PowerOn")
        assert self.state == EvseState.Charging, self.state
