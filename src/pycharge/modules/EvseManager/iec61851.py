"""The IEC 61851-1 layer: raw control pilot states from the board become charger events.

It also owns the two decisions the standard ties to the CP state: the relays may only be
allowed on in state C (or D with ventilation) while the PWM runs, and they are switched off at
once whenever the car leaves C, unplugs, or shows E or F (Table A.6). If the PWM stops while the
car stays in C, the relays are switched off under load after 6 s (sequence 10.2).

Which events and actions a change of the raw CP state produces is the table ``TRANSITIONS``;
what a state needs on every pass (the power-on decision in C) is a handler per state. All of it
runs on the module thread; timers are deadlines on the clock that ``poll`` checks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Protocol


class CpEvent(str, Enum):
    """What the charger state machine learns from the IEC layer (EVerest's CPEvent)."""

    CarPluggedIn = "CarPluggedIn"
    CarRequestedPower = "CarRequestedPower"
    PowerOn = "PowerOn"
    PowerOff = "PowerOff"
    CarRequestedStopPower = "CarRequestedStopPower"
    CarUnplugged = "CarUnplugged"
    EFtoBCD = "EFtoBCD"
    BCDtoEF = "BCDtoEF"
    BCDtoE = "BCDtoE"


DISABLED = "Disabled"
F_UNPLUGGED = "F_unplugged"  # state F seen before any car was plugged in: counts as "no car"
NO_VENTILATION = "D_no_ventilation"  # state D while has_ventilation is false
RELAY_EVENTS = {"PowerOn": CpEvent.PowerOn, "PowerOff": CpEvent.PowerOff}
RAW_STATES = {"A": "A", "B": "B", "C": "C", "D": "D", "E": "E", "F": "F",
              "Disconnected": DISABLED}  # as EVerest maps any other board event
POWER_OFF_UNDER_LOAD_S = 6.0  # Table A.6 sequence 10.2
# The board refuses a close while something forbids it (after a reconnect: our heartbeat has
# not reached it yet) and keeps no memory of the refusal, so an unanswered permission is renewed.
ASK_AGAIN_S = 5.0
UNLOCK_IN_F_S = 5.0

# Actions of a transition (methods of IecStateMachine, see its _actions).
(STOP_PWM, PWM_GONE, POWER_OFF, STOP_C1, UNLOCK, LOCK, START_F_UNLOCK, PLUGGED_IN,
 PLUGGED_IN_SIMPLIFIED, UNPLUGGED) = (
    "stop_pwm", "pwm_gone", "power_off", "stop_c1", "unlock", "lock", "start_f_unlock",
    "plugged_in", "plugged_in_simplified", "unplugged")

ANY = frozenset({"A", "B", "C", "D", "E", "F", F_UNPLUGGED, DISABLED})
NO_CAR = frozenset({"A", DISABLED, F_UNPLUGGED})
CAR = frozenset({"B", "C", "D"})
Row = tuple[frozenset[str], tuple[CpEvent, ...], tuple[str, ...]]

# The state entered -> rows (previous states, events, actions), applied in order when the raw
# state changes. "Previous" is F_UNPLUGGED for state F before any plug-in. Table A.6 sequences:
# 1.1/1.2 plug-in, 2.x unplug, 4 EV ready, 7/8.1 EV stops (relays off within 100 ms).
TRANSITIONS: dict[str, tuple[Row, ...]] = {
    DISABLED: ((ANY, (), (STOP_PWM, POWER_OFF, STOP_C1, UNLOCK)),),
    "A": ((ANY, (), (STOP_PWM, POWER_OFF, STOP_C1, UNLOCK)),
          (ANY - {"A", DISABLED}, (CpEvent.CarUnplugged,), ()),
          (ANY, (), (UNPLUGGED,))),
    "B": ((ANY - {"A"}, (CpEvent.CarRequestedStopPower,), (POWER_OFF, STOP_C1)),
          (NO_CAR, (CpEvent.CarPluggedIn,), (PLUGGED_IN,)),
          (frozenset({"E", "F", F_UNPLUGGED}), (CpEvent.EFtoBCD,), ())),
    "C": ((ANY, (), (LOCK,)),
          (NO_CAR, (CpEvent.CarPluggedIn,), (PLUGGED_IN_SIMPLIFIED,)),
          # From F too: a car that stayed in C through our own F (an F pulse, or the pilot
          # re-sent to a restarted board) asks for power again once the PWM is back.
          (frozenset({"B", "F"}), (CpEvent.CarRequestedPower,), ())),
    NO_VENTILATION: ((ANY, (), (LOCK, POWER_OFF, STOP_C1)),),
    "E": ((ANY, (), (STOP_PWM, POWER_OFF, STOP_C1, UNLOCK)),
          (CAR, (CpEvent.BCDtoEF, CpEvent.BCDtoE), ())),
    "F": ((ANY, (), (PWM_GONE, POWER_OFF, STOP_C1, START_F_UNLOCK)),
          (CAR, (CpEvent.BCDtoEF,), ())),
}
TRANSITIONS["D"] = TRANSITIONS["C"]


class Board(Protocol):
    """The board commands this layer needs (evse_board_support, sent without waiting)."""

    def enable(self, value: bool) -> None: ...
    def pwm_on(self, percent: float) -> None: ...
    def cp_state_x1(self) -> None: ...
    def cp_state_f(self) -> None: ...
    def allow_power_on(self, value: bool, reason: str) -> None: ...
    def lock(self) -> None: ...
    def unlock(self) -> None: ...


class IecStateMachine:
    """Raw CP states and relay feedback in, ``CpEvent``s out (queued in ``events``)."""

    def __init__(self, board: Board, now: Callable[[], float], lock_connector_in_state_b: bool,
                 has_ventilation: bool, simplified_mode_limit_10a: bool) -> None:
        self.board = board
        self.now = now
        self.lock_in_state_b = lock_connector_in_state_b
        self.has_ventilation = has_ventilation
        self.simplified_mode_limit_10a = simplified_mode_limit_10a
        self.events: deque[CpEvent] = deque()
        self.on_pwm_stopped: Callable[[], None] = lambda: None
        self.enabled = False
        self.cp_state = DISABLED
        self.car_plugged_in = False
        self.simplified_mode = False
        self.pwm_running = False  # the pilot carries a PWM, as far as we know
        self._pwm_commanded = False  # the last pilot command was a PWM
        self.power_on_allowed = False  # the charger's permission
        self.power_on_reason = "PowerOff"
        self._board_on = False  # what the board was last told: power may be on
        self._asked_at = 0.0  # when it was told so
        self.relays_on = False
        self.c1_deadline: float | None = None
        self.unlock_f_deadline: float | None = None
        self._should_be_locked = False
        self._force_unlocked = False
        self._locked = False
        self._last_pwm_running = False
        self._actions: dict[str, Callable[[], None]] = {
            STOP_PWM: self._stop_pwm, PWM_GONE: self._pwm_gone, POWER_OFF: self._power_off,
            STOP_C1: self._stop_c1, UNLOCK: self._unlock, LOCK: self._lock,
            START_F_UNLOCK: self._start_f_unlock, PLUGGED_IN: self._plugged_in,
            PLUGGED_IN_SIMPLIFIED: lambda: self._plugged_in(simplified=True),
            UNPLUGGED: self._unplugged}
        self._while_in: dict[str, Callable[[str], None]] = {
            "B": self._while_b, "C": self._while_c, "D": self._while_c,
            NO_VENTILATION: self._while_no_ventilation, "F": self._while_f}

    # -- inputs ------------------------------------------------------------------------------
    def enable(self, value: bool) -> None:
        """Enable the port; board events are ignored until the first enable(true).

        A disabled port sees no car (as from a board that reports ``Disconnected``), so the
        state the board re-publishes after enable(true) is a new plug-in if a car is there.
        """
        self.enabled = value
        self.board.enable(value)
        if not value:
            self._feed(DISABLED)

    def bsp_event(self, event: str) -> None:
        """One ``event`` of the board: a raw CP state or confirmed relay switching.

        CP states count only once the port is enabled (the board re-publishes the state after
        enable(true)). Relay feedback always counts: the charger must never believe the relays
        are closed after they opened while the port was disabled.
        """
        if event in RELAY_EVENTS:
            self.relays_on = event == "PowerOn"
            self._check_lock()
            self.events.append(RELAY_EVENTS[event])
            if not self.relays_on and self._board_on:
                # The board opened on its own (a fault, a lost heartbeat): its acceptance is
                # used up. Ask again while the charger still wants power; the board decides.
                self._board_on = False
                self._feed(None)
        elif self.enabled and event in RAW_STATES:
            self._feed(RAW_STATES[event])

    def set_pwm(self, percent: float) -> None:
        """Nominal PWM (0 < duty < 100 %) or a constant level for 0 % / 100 %."""
        self.pwm_running = self._pwm_commanded = 0.0 < percent < 100.0
        if self.simplified_mode_limit_10a and self.simplified_mode and self.pwm_running:
            percent = min(percent, 10.0 / 0.6)
        self.board.pwm_on(percent)
        self._feed(None)

    def set_x1(self) -> None:
        self.pwm_running = self._pwm_commanded = False
        self.board.cp_state_x1()
        self._feed(None)

    def set_f(self) -> None:
        self.pwm_running = self._pwm_commanded = False
        self.board.cp_state_f()
        self._feed(None)

    def allow_power_on(self, value: bool, reason: str) -> None:
        """The charger's permission; switching on happens only here, in C with PWM running."""
        self.power_on_allowed = value
        self.power_on_reason = reason
        if not value:
            self._power_off()
        self._feed(None)

    def board_restarted(self) -> None:
        """The board's module started afresh: its relays are open, it waits for enable()."""
        self.relays_on = False
        if self.cp_state in ("C", "D"):
            # Its pilot was off meanwhile, so the car cannot have stayed in C: count it as in B,
            # so that C on the new pilot asks for power again (it may be the first state the
            # new board reports, without a B before it).
            self.cp_state = "B"
        self._check_lock()
        self.board.enable(self.enabled)

    def poll(self) -> None:
        """Let due timers act (the 6 s power-off under load, unlocking in F)."""
        now = self.now()
        if any(d is not None and now >= d for d in (self.c1_deadline, self.unlock_f_deadline)):
            self._feed(None)
        if (self._board_on and not self.relays_on and self.pwm_running
                and now - self._asked_at >= ASK_AGAIN_S):
            self._ask_board()

    def has_timer(self) -> bool:
        return self.c1_deadline is not None or self.unlock_f_deadline is not None

    def force_unlock(self) -> None:
        """Unlock now if the relays are off; keep unlocked while the car stays in B or C."""
        if not self.relays_on:
            self.board.unlock()
            self._locked = False
        if self.cp_state in ("B", "C"):
            self._force_unlocked = True
            self._check_lock()

    # -- the state machine ----------------------------------------------------------------------
    def _feed(self, raw: str | None) -> None:
        new = raw if raw is not None else self.cp_state
        key = NO_VENTILATION if new == "D" and not self.has_ventilation else new
        last = self.cp_state
        if new != "F":
            self.unlock_f_deadline = None
            if last == "F":
                # Out of F the pilot carries our last command again (the F may have been a
                # stale sample of an F we sent before the PWM).
                self.pwm_running = self._pwm_commanded
        if new != last:
            origin = F_UNPLUGGED if last == "F" and not self.car_plugged_in else last
            for previous, events, actions in TRANSITIONS[key]:
                if origin in previous:
                    self.events.extend(events)
                    for action in actions:
                        self._actions[action]()
        self._while_in.get(key, lambda _last: None)(last)
        self._check_lock()
        self.cp_state = new
        self._last_pwm_running = self.pwm_running

    def _stop_pwm(self) -> None:
        self.pwm_running = self._pwm_commanded = False
        self.board.cp_state_x1()
        self.on_pwm_stopped()

    def _pwm_gone(self) -> None:
        """State F: whatever we drive, the pilot shows no PWM."""
        self.pwm_running = False

    def _stop_c1(self) -> None:
        self.c1_deadline = None

    def _lock(self) -> None:
        self._should_be_locked = True

    def _start_f_unlock(self) -> None:
        self.unlock_f_deadline = self.now() + UNLOCK_IN_F_S

    def _plugged_in(self, simplified: bool = False) -> None:
        """``simplified``: plugged straight into C, no state B seen (IEC 61851-1 A.2.3)."""
        self.car_plugged_in = True
        self.simplified_mode = simplified

    def _unplugged(self) -> None:
        self.car_plugged_in = False
        self.simplified_mode = False

    def _while_b(self, _last: str) -> None:
        if self.lock_in_state_b:
            self._should_be_locked = True
        else:
            self._unlock()

    def _while_c(self, last: str) -> None:
        if not self.pwm_running and self._last_pwm_running:
            self.c1_deadline = self.now() + POWER_OFF_UNDER_LOAD_S
        if self.pwm_running and not self._last_pwm_running:
            self.c1_deadline = None
        if self.c1_deadline is not None and self.now() >= self.c1_deadline:
            self.c1_deadline = None
            self._power_off()  # the EV ignored the end of the PWM: off under load
        if not self.pwm_running:
            return
        # Ask the board whenever the permission is new or not on the board (an off in F or D
        # came between), the car just came to C from any other state, or the PWM just started.
        if self.power_on_allowed and (not self._board_on or last not in ("C", "D")
                                      or not self._last_pwm_running):
            self._ask_board()  # Table A.6 sequence 4
        if not self._last_pwm_running and self.simplified_mode:
            self.events.append(CpEvent.CarRequestedPower)

    def _while_no_ventilation(self, _last: str) -> None:
        self._board_off()

    def _while_f(self, _last: str) -> None:
        self._board_off()
        if self.unlock_f_deadline is not None and self.now() >= self.unlock_f_deadline:
            self.unlock_f_deadline = None
            self._unlock()

    def _power_off(self) -> None:
        """Take back the charger's permission and switch off (leaving C, unplug, E, F, ...)."""
        self.power_on_allowed = False
        self.power_on_reason = "PowerOff"
        self._board_on = False
        self.board.allow_power_on(False, "PowerOff")

    def _ask_board(self) -> None:
        self._board_on = True
        self._asked_at = self.now()
        self.board.allow_power_on(True, self.power_on_reason)

    def _board_off(self) -> None:
        """No power in this CP state, but the charger's permission stands for a later C."""
        if self._board_on:
            self._board_on = False
            self.board.allow_power_on(False, "PowerOff")

    def _unlock(self) -> None:
        self._should_be_locked = False
        self._force_unlocked = False

    def _check_lock(self) -> None:
        """Locked while the relays are on, or while the state wants it and no one forced it."""
        want = self.relays_on or (self._should_be_locked and not self._force_unlocked)
        if want and not self._locked:
            self.board.lock()
            self._locked = True
        elif not want and self._locked:
            self.board.unlock()
            self._locked = False
