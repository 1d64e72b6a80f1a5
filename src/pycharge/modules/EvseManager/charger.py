"""The charger state machine of AC basic charging (EVerest's Charger, without HLC and DC).

One handler per state, called with ``entering`` on the first pass after a change (the shape of
Tinkerforge's iec61851.c). ``run`` repeats passes until the state settles. CP events from the
IEC layer set flags (``FLAG_ON_CP_EVENT``) and, depending on the state, change the state
(``ON_CP_EVENT``). Session events come out in EVerest's order (see the README).

Safety: every stop condition calls ``allow_power_on(false)`` at once; the IEC layer only ever
switches power on in state C with the PWM running. The board opens the relays by itself too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pycharge.modules.EvseManager.authorization import ACCEPTED, FREE_SERVICE_TOKEN, Authorization
from pycharge.modules.EvseManager.billing import MeterCall
from pycharge.modules.EvseManager.charger_states import (
    FAST_STATES,
    FLAG_ON_CP_EVENT,
    LEGACY_WAKEUP_S,
    MAX_PASSES,
    ON_CP_EVENT,
    PAUSED_BY_EV_AFTER_WAKEUP_S,
    STOPPING_TIMEOUT_S,
    T_STEP_EF_S,
    X1_AFTER_T_STEP_EF_S,
    ChargerConfig,
    EvseState,
)
from pycharge.modules.EvseManager.enable_disable import EnableDisableTable
from pycharge.modules.EvseManager.error_handling import OVERCURRENT, ErrorHandling, Shutdown
from pycharge.modules.EvseManager.iec61851 import CpEvent, IecStateMachine
from pycharge.modules.EvseManager.overcurrent import SoftOverCurrent
from pycharge.modules.EvseManager.power_budget import PowerBudget
from pycharge.modules.EvseManager.pwm import PilotOutput
from pycharge.modules.EvseManager.session import Session
from pycharge.modules.EvseManager.transactions import Transactions

S = EvseState


class Charger:
    """Flags, state and handlers; everything runs on the module thread."""

    def __init__(self, iec: IecStateMachine, budget: PowerBudget, errors: ErrorHandling,
                 session: Session, transactions: Transactions, overcurrent: SoftOverCurrent,
                 now: Callable[[], float], config: ChargerConfig, log: logging.Logger) -> None:
        self.iec, self.budget, self.errors, self.session = iec, budget, errors, session
        self.transactions, self.overcurrent, self.now = transactions, overcurrent, now
        self.config, self.log = config, log
        self.pilot = PilotOutput(iec)
        iec.on_pwm_stopped = self.pilot.forget
        errors.on_change = self._shutdown_changed
        self.auth = Authorization(session, transactions, errors, config.raise_mrec9, log)
        self.enable_table = EnableDisableTable()
        self.on_state: Callable[[EvseState], None] = lambda state: None
        self.started = False
        self.state = S.Idle
        self._entered: EvseState | None = None
        self._since = now()
        self.plugged_in = False
        self.ev_requests_power = False  # EVerest's iec_allow_close_contactor
        self.contactor_open = True
        self.legacy_wakeup_done = False
        self.pp_ampere = 0.0
        self._last_shutdown = Shutdown.NONE
        self._f_pulse_until: float | None = None
        self._offering_since: float | None = None
        self._t_step_ef_x1 = False
        self._stop_forced = False
        self._last_pause_reasons: list[str] | None = None
        self._pending_stop: MeterCall | None = None
        self.phase_switch: Any = None  # a phase_switching.PhaseSwitching: it enters SwitchPhases
        self._handlers: dict[EvseState, Callable[[bool], None]] = {
            S.Disabled: self._disabled, S.Idle: self._idle,
            S.WaitingForAuthentication: self._waiting_for_authentication,
            S.PrepareCharging: self._prepare_charging, S.T_step_EF: self._t_step_ef,
            S.Charging: self._charging, S.ChargingPausedEV: self._charging_paused_ev,
            S.ChargingPausedEVSE: self._charging_paused_evse,
            S.StoppingCharging: self._stopping_charging, S.Finished: self._finished,
            S.SwitchPhases: lambda entering: self.phase_switch.handle(entering),  # noqa: PLW0108
        }

    # -- driving the machine ---------------------------------------------------------------------
    def start(self) -> None:
        """The board is enabled: from now on the state machine drives it."""
        self.started = True
        enabled = self.state != S.Disabled  # EVerest's enable_disable_initial_state_publish
        self.session.enabled_changed(enabled, self.enable_table.initial(enabled), None)
        self.run()

    def board_restarted(self) -> None:
        """The board's module restarted: relays open, pilot unknown; enable it, send the pilot."""
        self.contactor_open = True
        self.iec.board_restarted()
        self.pilot.resend()
        self.run()

    def run(self) -> None:
        """Passes until the state settles (at most ``MAX_PASSES``)."""
        if not self.started:
            return
        self._end_f_pulse()
        for _ in range(MAX_PASSES):
            entering = self.state != self._entered
            if entering:
                self.log.info("charger state: %s -> %s", getattr(self._entered, "value", "-"),
                              self.state.value)
                self._entered, self._since = self.state, self.now()
                self.budget.idle = self.state == S.Idle
                self.on_state(self.state)
            self._handlers[self.state](entering)
            if self.state == self._entered:
                return
        self.log.warning("charger state machine did not settle, now in %s", self.state.value)

    def cp_event(self, event: CpEvent) -> None:
        """One event of the IEC layer: state-independent flags first, then the state's table.

        No pass runs before the flags are set: with the old flags a state could act on a car
        that is already gone (Charging restarting the PWM the IEC layer just stopped in A).
        """
        if event in FLAG_ON_CP_EVENT:
            setattr(self, *FLAG_ON_CP_EVENT[event])
        self.run()
        allow, next_state = ON_CP_EVENT.get((self.state, event), (None, None))
        if event == CpEvent.CarPluggedIn and next_state is not None:
            self.plugged_in = True
        if allow is not None:
            self.ev_requests_power = allow
        if next_state is not None:
            self.state = next_state
        self.run()

    def settle(self) -> None:
        """After any input: hand the queued CP events to the machine and let it run."""
        while self.iec.events:
            self.cp_event(self.iec.events.popleft())
        self.run()
        while self.iec.events:
            self.cp_event(self.iec.events.popleft())

    def tick(self) -> None:
        """Periodically: timers of the IEC layer, budget expiry, time-based transitions."""
        self.iec.poll()
        self.settle()

    def _in_state(self) -> float:
        return self.now() - self._since

    def fatal(self) -> bool:
        return self.errors.shutdown != Shutdown.NONE

    def needs_fast_tick(self) -> bool:
        """Whether a sub-second timer is pending (else a slow tick suffices, e.g. while paused)."""
        return self.state in FAST_STATES or self.iec.has_timer() or self._f_pulse_until is not None

    # -- errors -------------------------------------------------------------------------------
    def _shutdown_changed(self) -> None:
        """Act at once when errors start or stop preventing charging."""
        shutdown, last = self.errors.shutdown, self._last_shutdown
        self._last_shutdown = shutdown
        if shutdown != Shutdown.NONE:
            self.log.warning("%s", shutdown.value)
            if last == Shutdown.NONE and self.state == S.Charging \
                    and self.config.state_f_after_fault_ms > 0:
                self.pilot.f()  # CX -> F -> X1 (state_F_after_fault_ms)
                self._f_pulse_until = self.now() + self.config.state_f_after_fault_ms / 1000
            elif shutdown == Shutdown.EMERGENCY and self.pilot.running:
                self.pilot.x1()
            self.iec.allow_power_on(False, "PowerOff")
            self.session.cancel_reservation()
        self.run()

    def _end_f_pulse(self) -> None:
        if self._f_pulse_until is not None and self.now() >= self._f_pulse_until:
            self._f_pulse_until = None
            if self.pilot.f_active and self.state not in (S.Idle, S.Disabled):
                self.pilot.x1()

    def _x1_unless_f_pulse(self) -> None:
        if self._f_pulse_until is None:
            self.pilot.x1()

    # -- state handlers -------------------------------------------------------------------------
    def _disabled(self, entering: bool) -> None:
        if entering:
            self.pilot.f()
            self.iec.allow_power_on(False, "PowerOff")
            if self.transactions.active:
                self._pending_stop = self.transactions.stop("Other")
        self._finish_transaction()

    def _idle(self, entering: bool) -> None:
        if entering:
            if self.session.active and self._finish_transaction():
                # Enabled again after Disabled: the old session ends here; a car still plugged
                # in is reported anew by the IEC layer and starts a new one.
                self.auth.stop_session()
            self.plugged_in = self.ev_requests_power = False
            self.budget.set_cable_limit(0.0)
            self.legacy_wakeup_done = False
            self.pilot.x1()
            self.auth.deauthorize(in_use=False)
            self.transactions.reset()
            self.errors.clear_on_unplug()
        if self.fatal() and not self.pilot.f_active:
            self.pilot.f()  # show F while the EVSE is inoperative
        elif not self.fatal() and self.pilot.f_active:
            self.pilot.x1()

    def _waiting_for_authentication(self, entering: bool) -> None:
        if entering:
            self.iec.allow_power_on(False, "PowerOff")
            if not self.session.active:
                self.session.start("EVConnected", None)
            self.session.emit("AuthRequired")
            if self.config.disable_authentication and not self.auth.authorized:
                self.auth.authorize(FREE_SERVICE_TOKEN, ACCEPTED)
        if self.fatal() or not self.plugged_in:
            self.state = S.Finished
            return
        if self.budget.socket and self.budget.cable_limit == 0:
            self.budget.set_cable_limit(self.pp_ampere)
            if self.budget.cable_limit == 0:
                return  # wait for the cable's rating from the proximity pilot
        if self.auth.authorized and self.auth.id_token is not None \
                and self.transactions.start(self.auth.id_token, self.auth.validation_result):
            self.state = S.PrepareCharging

    def _prepare_charging(self, entering: bool) -> None:
        if entering:
            self.session.emit("PrepareCharging")
            self._offering_since = None
        if self.fatal() or not self.auth.authorized or not self.transactions.active \
                or not self.plugged_in:
            self.state = S.StoppingCharging
            return
        self.pilot.pwm_if_changed(self.budget.effective(), self.now())
        if not self.budget.available():
            self._offering_since = None
            return
        if self._offering_since is None:
            self._offering_since = self.now()
        offering = self.now() - self._offering_since
        if self.ev_requests_power:
            self.state = S.Charging
        elif not self.legacy_wakeup_done and offering > LEGACY_WAKEUP_S:
            self.log.info("EV did not go to state C, one legacy wake-up (IEC 61851-1 A.5.3)")
            self.legacy_wakeup_done = True
            self.state = S.T_step_EF
        elif self.legacy_wakeup_done and offering > PAUSED_BY_EV_AFTER_WAKEUP_S:
            self.state = S.ChargingPausedEV

    def _t_step_ef(self, entering: bool) -> None:
        if entering:
            self._t_step_ef_x1 = False
            self.pilot.f()
        if self._in_state() >= T_STEP_EF_S + X1_AFTER_T_STEP_EF_S:
            self.state = S.PrepareCharging  # which switches the PWM on again
        elif self._in_state() >= T_STEP_EF_S and not self._t_step_ef_x1:
            self._t_step_ef_x1 = True
            self.pilot.x1()

    def _charging(self, entering: bool) -> None:
        if entering:
            self.session.emit("ChargingStarted")
        if self.fatal() or not self.auth.authorized or not self.transactions.active \
                or not self.plugged_in or self.auth.paused_by_evse or not self.ev_requests_power \
                or not self.budget.available():
            self.state = S.StoppingCharging
            return
        self._check_overcurrent()
        if entering:
            self.legacy_wakeup_done = False
            self.iec.allow_power_on(True, "FullPowerCharging")
            self.pilot.pwm_if_changed(self.budget.effective(), self.now())
        else:
            self.pilot.pwm_at_most_every_5s(self.budget.effective(), self.now())

    def _charging_paused_ev(self, entering: bool) -> None:
        if entering:
            self.session.emit("ChargingPausedEV")
        if not self.transactions.active or not self.auth.authorized or not self.plugged_in:
            self.state = S.StoppingCharging
            return
        self._check_overcurrent()
        if self.fatal() or not self.budget.available():  # EVerest does not look at errors here
            self.state = S.ChargingPausedEVSE
            return
        self.pilot.pwm_at_most_every_5s(self.budget.effective(), self.now())  # EV may resume

    def _charging_paused_evse(self, entering: bool) -> None:
        if entering:
            self._x1_unless_f_pulse()
            self._last_pause_reasons = None
        if not self.transactions.active or not self.auth.authorized or not self.plugged_in:
            self.state = S.StoppingCharging
            return
        reasons = [reason for reason, active in (
            ("Error", self.fatal()), ("NoEnergy", not self.budget.available()),
            ("UserPause", self.auth.paused_by_evse)) if active]
        if not reasons:
            self.state = S.PrepareCharging
        elif reasons != self._last_pause_reasons:
            self._last_pause_reasons = reasons
            self.session.paused_by_evse(reasons)

    def _stopping_charging(self, entering: bool) -> None:
        if entering:
            self.legacy_wakeup_done = False
            self._stop_forced = False
            self.session.emit("StoppingCharging")
            self.iec.allow_power_on(False, "PowerOff")  # relays open before the PWM stops
            self._x1_unless_f_pulse()
        if self._in_state() > STOPPING_TIMEOUT_S and not self._stop_forced:
            self.log.warning("StoppingCharging: relays still reported on after %.0f s, forcing "
                             "them off", STOPPING_TIMEOUT_S)
            self._stop_forced = True
            self.iec.allow_power_on(False, "PowerOff")
        if not self.contactor_open:
            return  # wait for the board to confirm the relays are open (PowerOff)
        if not self.transactions.active or not self.plugged_in or not self.auth.authorized:
            self.state = S.Finished
        elif not self.budget.available() or self.auth.paused_by_evse or self.fatal():
            self.state = S.ChargingPausedEVSE
        else:
            self.state = S.ChargingPausedEV

    def _finished(self, entering: bool) -> None:
        if entering:
            if self.transactions.active:
                self._pending_stop = self.transactions.stop(None)
            self.iec.allow_power_on(False, "PowerOff")
        if not self._finish_transaction():
            return
        if not self.plugged_in:
            self.auth.stop_session()
            self.state = S.Idle

    def _finish_transaction(self) -> bool:
        """Emit the end of a transaction once the meter answered; False while waiting."""
        if self._pending_stop is None:
            return True
        if not self._pending_stop.done:
            return False
        call, self._pending_stop = self._pending_stop, None
        self.transactions.finished(call)
        return True

    def _check_overcurrent(self) -> None:
        message = self.overcurrent.check(self.pilot.ampere, self.now())
        if message is not None:
            self.errors.raise_own(OVERCURRENT, message, "High")

    # -- enabling and disabling -------------------------------------------------------------------
    def enable_disable(self, connector_id: int, source: dict[str, Any]) -> bool:
        """Record a source's wish; the table decides. Disabled shows F and refuses sessions."""
        enabled, changed = self.enable_table.command(connector_id, source)
        if self.state == S.Disabled and self.enable_table.connector_enabled:
            self.state = S.Idle
        if changed:
            if not enabled:
                self.state = S.Disabled
                self.session.cancel_reservation()
            self.session.enabled_changed(enabled, self.enable_table.active,
                                         1 if connector_id != 0 else None)
        if enabled:
            # The Idle pilot (X1) first, so that the state the board confirms after enable(true)
            # is measured on it: the F the disabled port showed would otherwise be reported
            # first, and the car still plugged in would not start a new session.
            self.run()
        self.iec.enable(enabled)
        self.run()
        return enabled
