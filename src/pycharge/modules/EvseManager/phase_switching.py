"""Switching between three phases and one phase while charging (EVerest's SwitchPhases state).

The energy manager asks for a phase count with ``ac_max_phase_count`` in ``enforce_limits``.
While charging, the switch goes through the charger state ``SwitchPhases``:

1. session event ``SwitchingPhases``; the permission to switch power is taken back first
   (``allow_power_on(false)``: the relays open before the pilot changes, as when stopping), then
   the pilot shows X1 or F (``switch_3ph1ph_cp_state``), so the car stops drawing and leaves C;
2. once ``switch_3ph1ph_delay_s`` has passed *and* the board confirmed the relays open
   (``PowerOff``), the board is told the phase count (``ac_switch_three_phases_while_charging``)
   and its answer awaited;
3. then ``PrepareCharging``: the PWM comes back, the car returns to C and the relays close on
   the new phases.

A fault in the sequence (the relays not confirmed open ``OPEN_CONFIRM_S`` after the pause
should have ended, or the board's command failing) takes the permission back again and raises
``evse_manager/Internal`` (High): the charger stops with the PWM off and stays inoperative until
the car is unplugged. In any other state the board is told at once, but only while the relays
are confirmed open (the board applies a phase count at its next close in any case); if it fails
there, nothing was interrupted: the phases in use stay and the next request tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pycharge.modules.EvseManager.charger import Charger
from pycharge.modules.EvseManager.charger import EvseState as S
from pycharge.modules.EvseManager.error_handling import INTERNAL

OPEN_CONFIRM_S = 3.0  # the board confirms an open within 250 ms; this leaves room for the bus


class PhaseBoard(Protocol):
    """The board command for the phase count; ``done(None)`` on success, else the reason."""

    def switch_three_phases(self, value: bool, done: Callable[[str | None], None]) -> None: ...


@dataclass(frozen=True)
class PhaseSwitchConfig:
    delay_s: float = 10.0  # switch_3ph1ph_delay_s
    cp_state_f: bool = False  # switch_3ph1ph_cp_state == "F"


class PhaseSwitching:
    """The switching sequence of one charger; ``on_switched(phases)`` once the board has them."""

    def __init__(self, charger: Charger, board: PhaseBoard, config: PhaseSwitchConfig,
                 on_switched: Callable[[int], None]) -> None:
        self.charger, self.board, self.config = charger, board, config
        self.on_switched = on_switched
        self.target: int | None = None  # the phase count being switched to
        self._sent: int | None = None  # sent to the board, answer outstanding
        self._since = 0.0
        self._refused: int | None = None  # not supported by the board (logged)
        self._deferred: int | None = None  # refused for now: the relays may be closed (logged)

    def enforce(self, max_phases: int | None, active: int, supported: bool) -> int:
        """An enforced ``ac_max_phase_count``: switch if it differs from the ``active`` count.

        Returns the phase count the enforced current is meant for: the new one once a switch is
        accepted (EVerest's order, so a power limit is never shared over the old count).
        """
        if max_phases is None:
            return active
        phases = 3 if max_phases >= 3 else 1
        if phases == active and self.target is None:
            return active
        if not supported:
            if phases != self._refused:
                self._refused = phases  # say it once, not every second
                self.charger.log.warning("the energy manager asks for %d phase(s), but the "
                                         "board cannot switch phases; staying with %d",
                                         phases, active)
            return active
        self._refused = None
        return phases if self.request(phases) else active

    def request(self, phases: int) -> bool:
        """EVerest's ``switch_three_phases_while_charging``; False if refused for now."""
        charger = self.charger
        if phases == self.target:
            return True  # repeated: the switch is under way
        if charger.state == S.Charging:
            self.target = phases
            charger.state = S.SwitchPhases
            charger.run()
            return True
        if charger.state == S.SwitchPhases:
            self.target = phases  # the latest wish counts; sent once the relays are open
            return True
        if not charger.contactor_open or self._sent is not None:
            if phases != self._deferred:
                self._deferred = phases  # say it once, not on every repetition
                charger.log.warning("%d phase(s) requested while the relays are not confirmed "
                                    "open: not now", phases)
            return False
        self._deferred = None
        self.target = phases
        self._send(phases)
        return True

    def handle(self, entering: bool) -> None:
        """The ``SwitchPhases`` state handler."""
        charger = self.charger
        if entering:
            self._since = charger.now()
            charger.session.emit("SwitchingPhases")
            charger.iec.allow_power_on(False, "PowerOff")
            if self.config.cp_state_f:
                charger.pilot.f()
            else:
                charger.pilot.x1()
        if charger.fatal() or not charger.plugged_in or not charger.auth.authorized \
                or not charger.transactions.active:
            self.target = None
            charger.state = S.StoppingCharging
            return
        if self._sent is not None:
            return  # waiting for the board's answer
        paused = charger.now() - self._since
        if not charger.contactor_open:
            if paused >= max(self.config.delay_s, OPEN_CONFIRM_S):
                self._fail(f"switching phases: the relays are not confirmed open after "
                           f"{paused:.1f} s")
            return
        if paused >= self.config.delay_s and self.target is not None:
            self._send(self.target)

    def _send(self, phases: int) -> None:
        self._sent = phases
        self.board.switch_three_phases(phases == 3, lambda error: self._answered(phases, error))

    def _answered(self, phases: int, error: str | None) -> None:
        charger = self.charger
        self._sent = None
        if error is not None:
            self.target = None
            if charger.state == S.SwitchPhases:
                self._fail(f"switching phases: the board did not take {phases} phase(s): {error}")
            else:  # nothing was interrupted: the phases in use stay, the next request tries again
                charger.log.warning("the board did not take %d phase(s): %s", phases, error)
            charger.settle()
            return
        self.on_switched(phases)
        if self.target not in (None, phases) and charger.state == S.SwitchPhases:
            return  # asked for another count meanwhile: the next pass sends it
        self.target = None
        if charger.state == S.SwitchPhases:
            charger.state = S.PrepareCharging
        charger.settle()

    def _fail(self, message: str) -> None:
        """Relays off (again), error raised; the charger then stops with the PWM off."""
        charger = self.charger
        charger.iec.allow_power_on(False, "PowerOff")
        if charger.pilot.running:
            charger.pilot.x1()
        charger.errors.raise_own(INTERNAL, message, "High")
