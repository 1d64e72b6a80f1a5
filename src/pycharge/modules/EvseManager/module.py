"""EvseManager: the charging kernel of one AC EVSE (IEC 61851-1 basic charging).

Wiring only: the board, meters and errors come in from the bus and go to the IEC layer, the
charger state machine and the error handling; session events, limits and the energy request go
out. Start-up follows EVerest: nothing is driven before ``ready``; the board is enabled once its
capabilities are known and the meter had a chance to report (``initial_meter_value_timeout_ms``);
board events before ``enable(true)`` are ignored (the board re-publishes the CP state then).
Timers are module timers on ``self.clock``: 100 ms while preparing, charging or stopping, or
while a pilot timer runs; 1 s otherwise (idle, paused, waiting for authorization or unplug).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pycharge.modules.EvseManager.adapters import BusBoard, BusMeter
from pycharge.modules.EvseManager.charger import Charger, ChargerConfig, EvseState
from pycharge.modules.EvseManager.commands import EnergyGrid, Evse, RandomDelayCommands
from pycharge.modules.EvseManager.energy import energy_flow_request
from pycharge.modules.EvseManager.error_handling import ErrorHandling
from pycharge.modules.EvseManager.iec61851 import IecStateMachine
from pycharge.modules.EvseManager.overcurrent import SoftOverCurrent
from pycharge.modules.EvseManager.phase_switching import PhaseSwitchConfig, PhaseSwitching
from pycharge.modules.EvseManager.power_budget import PowerBudget, pp_ampacity_to_ampere
from pycharge.modules.EvseManager.random_delay import RandomDelay
from pycharge.modules.EvseManager.session import Session
from pycharge.modules.EvseManager.session_store import RECORD_PERIOD_S, SessionStore
from pycharge.modules.EvseManager.transactions import Transactions
from pycharge.runtime.errors import Error
from pycharge.runtime.manager import MODULE_FAULT
from pycharge.runtime.module import Connection, Implementation, Module
from pycharge.runtime.timers import Timer

FAST_TICK_S, SLOW_TICK_S = 0.1, 1.0
ENERGY_REQUEST_PERIOD_S = 1.0
INITIAL_BUDGET_VALID_S = 120.0  # 0 A until the energy manager sends a budget
CAPABILITIES_WARNING_S = 10.0
# "ready" is said again now and then: a module restarted after us (the API) waits for it.
READY_REPEAT_S = 5.0


class EvseManager(Module):
    implementations: ClassVar[dict[str, type[Implementation]]] = {
        "evse": Evse, "energy_grid": EnergyGrid, "random_delay": RandomDelayCommands}

    def init(self) -> None:
        cfg = self.config
        now = self.clock.monotonic
        evse = self.impl["evse"]
        self.caps: dict[str, Any] | None = None
        self.active_phases = 0
        self.usage: dict[str, dict[str, Any]] = {}
        self._max_current = 0.0
        self.started = False
        self._ready = False
        self._external_ready = not cfg["external_ready_to_start_charging"]
        self._meter_waited = False
        self._tick: Timer | None = None
        self._tick_period = 0.0
        self.meter = self.connection("powermeter_car_side") or self.connection("powermeter_grid_side")
        self.board = BusBoard(self.connection("bsp"), self.connection("connector_lock"), self.log)
        self.iec = IecStateMachine(self.board, now, cfg["lock_connector_in_state_b"],
                                   cfg["has_ventilation"], cfg["hack_simplified_mode_limit_10A"])
        self.errors = ErrorHandling(evse, self.log)
        self.session = Session(self._session_event,
                               lambda protocol: evse.publish("selected_protocol", protocol), now,
                               cfg["session_id_type"], self.log)
        self.session_store = SessionStore(
            self.connection("store"), self.id, self.session.meter_value,
            lambda event: evse.publish("session_event", event), self.meter, self.log)
        meter = BusMeter(self.meter, self.settle, self.log) if self.meter is not None else None
        transactions = Transactions(self.session, meter, cfg["evse_id"],
                                    cfg["fail_on_powermeter_errors"], self.errors, self.log)
        self.budget = PowerBudget(now, self._limit_changed, self.log)
        self.random_delay = RandomDelay(
            now, lambda countdown: self.impl["random_delay"].publish("countdown", countdown),
            cfg["uk_smartcharging_random_delay_enable"],
            cfg["uk_smartcharging_random_delay_max_duration"],
            cfg["uk_smartcharging_random_delay_at_any_change"], self.log)
        overcurrent = SoftOverCurrent(cfg["soft_over_current_tolerance_percent"],
                                      cfg["soft_over_current_measurement_noise_A"],
                                      cfg["soft_over_current_timeout_ms"])
        self.charger = Charger(self.iec, self.budget, self.errors, self.session, transactions,
                               overcurrent, now,
                               ChargerConfig(cfg["state_F_after_fault_ms"], cfg["raise_mrec9"],
                                             cfg["disable_authentication"]), self.log)
        self.charger.on_state = self._state_changed
        self.charger.phase_switch = PhaseSwitching(
            self.charger, self.board, PhaseSwitchConfig(cfg["switch_3ph1ph_delay_s"],
                                                         cfg["switch_3ph1ph_cp_state"] == "F"),
            lambda phases: self._publish_limits(phases=phases))
        self._subscribe()

    def _subscribe(self) -> None:
        bsp = self.connection("bsp")
        assert bsp is not None
        bsp.subscribe("event", lambda e: self._bsp_event(e["event"]))
        bsp.subscribe("capabilities", self._capabilities)
        bsp.subscribe("ac_pp_ampacity", self._pp_ampacity)
        bsp.subscribe("ac_nr_of_phases_available", lambda n: self._publish_limits(phases=n))
        bsp.subscribe("telemetry", lambda t: self.impl["evse"].publish("telemetry", t))
        bsp.subscribe("request_stop_transaction", self._stop_requested)
        self._watch_errors("bsp", bsp)
        for source in ("ac_rcd", "connector_lock"):
            self._watch_errors(source, self.connection(source))
        if self.meter is not None and self.config["fail_on_powermeter_errors"]:
            self._watch_errors("powermeter", self.meter)
        for requirement, usage in (("powermeter_grid_side", "energy_usage_root"),
                                   ("powermeter_car_side", "energy_usage_leaves")):
            connection = self.connection(requirement)
            if connection is not None:
                connection.subscribe("powermeter", lambda p, c=connection, u=usage:
                                     self._powermeter(c, u, p))
        if self.meter is not None:
            self.meter.subscribe("public_key_ocmf", lambda key: self.impl["evse"].publish(
                "powermeter_public_key_ocmf", key))

    def _watch_errors(self, source: str, connection: Connection | None) -> None:
        if connection is not None:
            connection.subscribe_errors(lambda e: self._error(source, e, True),
                                        lambda e: self._error(source, e, False))

    # -- start-up -----------------------------------------------------------------------------
    def ready(self) -> None:
        evse = self.impl["evse"]
        evse.publish("evse_id", self.config["evse_id"])
        evse.publish("selected_protocol", self.session.protocol)
        self._ready = True
        if self.meter is not None:
            self.meter.call_async("stop_transaction", transaction_id="")  # close what a crash left
            self.call_later(self.config["initial_meter_value_timeout_ms"] / 1000,
                            self._meter_wait_over)
        else:
            self._meter_waited = True
        self.budget.set_max_current(0.0, INITIAL_BUDGET_VALID_S)
        evse.publish("waiting_for_external_ready", self.config["external_ready_to_start_charging"])
        self.call_later(CAPABILITIES_WARNING_S, self._warn_no_capabilities)
        self.every(RECORD_PERIOD_S, self.session_store.save)
        self.session_store.recover(self._try_start)

    def reconnected(self) -> None:
        """The bus was away: variables are not retained, so publish the state again."""
        evse = self.impl["evse"]
        evse.publish("evse_id", self.config["evse_id"])
        evse.publish("selected_protocol", self.session.protocol)
        if self.caps is not None:
            evse.publish("hw_capabilities", self.caps)
            self._publish_limits()
        if self.started:
            evse.publish("supported_energy_transfer_modes", self._transfer_modes())
            evse.publish("ready", True)

    def _meter_wait_over(self) -> None:
        if not self._meter_waited:
            self.log.warning("no powermeter value received yet")
            self._meter_waited = True
            self._try_start()

    def _warn_no_capabilities(self) -> None:
        if self.caps is None:
            self.log.warning("still waiting for the board's capabilities; not charging yet")
            self.call_later(CAPABILITIES_WARNING_S, self._warn_no_capabilities)

    def external_ready(self) -> None:
        self._external_ready = True
        self._try_start()

    def _try_start(self) -> None:
        """Start charging once ready, capabilities known, meter heard and externally ready."""
        if self.started or not (self._ready and self.caps is not None and self._meter_waited
                                and self._external_ready and self.session_store.recovered):
            return
        self.started = True
        evse = self.impl["evse"]
        evse.publish("supported_energy_transfer_modes", self._transfer_modes())
        self.iec.enable(True)
        self.charger.start()
        evse.publish("ready", True)
        self.every(READY_REPEAT_S, evse.publish, "ready", True)
        self.every(ENERGY_REQUEST_PERIOD_S, self._request_energy, False)
        self._request_energy(True)
        self.settle()
        self.log.info("ready to start charging")

    def _transfer_modes(self) -> list[str]:
        assert self.caps is not None
        low = min(max(self.caps["min_phase_count_import"], 1), 3)
        high = min(max(self.caps["max_phase_count_import"], low), 3)
        modes = {1: "AC_single_phase_core", 2: "AC_two_phase", 3: "AC_three_phase_core"}
        return [modes[n] for n in range(low, high + 1)]

    # -- inputs from the board and the meters --------------------------------------------------
    def _bsp_event(self, event: str) -> None:
        self.iec.bsp_event(event)
        self.settle()

    def _capabilities(self, caps: dict[str, Any]) -> None:
        """At the board's start, and again whenever they change (e.g. derating)."""
        self.caps = caps
        self.impl["evse"].publish("hw_capabilities", caps)
        self.budget.socket = caps["connector_type"] == "IEC62196Type2Socket"
        if self.active_phases == 0:
            self.active_phases = caps["max_phase_count_import"]
        if self.active_phases > caps["max_phase_count_import"]:
            self.active_phases = caps["min_phase_count_import"]
        self._publish_limits()
        self._try_start()

    def _pp_ampacity(self, pp: dict[str, Any]) -> None:
        phases = self.caps["max_phase_count_import"] if self.caps else 3
        self.charger.pp_ampere = pp_ampacity_to_ampere(pp["ampacity"], phases)
        self.settle()

    def _stop_requested(self, request: dict[str, Any]) -> None:
        self.charger.auth.cancel(request)
        self.settle()

    def _powermeter(self, connection: Connection, usage: str, value: dict[str, Any]) -> None:
        self.usage[usage] = value
        if connection is not self.meter:
            return
        self.session.meter = value
        self.impl["evse"].publish("powermeter", value)
        current = value.get("current_A") or {}
        if all(phase in current for phase in ("L1", "L2", "L3")):
            self.charger.overcurrent.currents = (current["L1"], current["L2"], current["L3"])
        if not self._meter_waited:
            self._meter_waited = True
            self._try_start()

    def _error(self, source: str, error: Error, raised: bool) -> None:
        (self.errors.raised if raised else self.errors.cleared)(source, error)
        if source == "bsp" and error.type == MODULE_FAULT and not raised and self.started:
            self.log.warning("the board's module is back: enabling it and sending the pilot again")
            self.charger.board_restarted()
        self.settle()

    # -- outputs -------------------------------------------------------------------------------
    def _session_event(self, event: dict[str, Any]) -> None:
        self.impl["evse"].publish("session_event", event)
        self.session_store.on_event(event)

    def _limit_changed(self, ampere: float) -> None:
        self.board.set_overcurrent_limit(ampere)
        self._publish_limits(max_current=ampere)

    def _publish_limits(self, max_current: float | None = None, phases: int | None = None) -> None:
        if max_current is not None:
            self._max_current = max_current
        if phases is not None:
            self.active_phases = phases
        self.impl["evse"].publish("limits", {
            "uuid": self.id, "max_current": self._max_current,
            "nr_of_phases_available": min(max(self.active_phases, 1), 3)})

    def _request_energy(self, priority: bool) -> None:
        if self.caps is None:
            return
        self.impl["energy_grid"].publish("energy_flow_request", energy_flow_request(
            self.id, self.caps, self.charger.state.value, self.active_phases,
            self.config["request_zero_power_in_idle"], priority, self.usage))

    def _state_changed(self, state: EvseState) -> None:
        """Ask for energy at once when a session starts or ends (EVerest does the same)."""
        if state in (EvseState.WaitingForAuthentication, EvseState.Finished):
            self._request_energy(True)

    # -- time ----------------------------------------------------------------------------------
    def settle(self) -> None:
        """After any input: let the charger see queued CP events, then pick the tick rate."""
        if not self.started:
            return
        self.charger.settle()
        period = FAST_TICK_S if self.charger.needs_fast_tick() else SLOW_TICK_S
        if period != self._tick_period:
            if self._tick is not None:
                self._tick.cancel()
            self._tick_period = period
            self._tick = self.every(period, self._on_tick)

    def _on_tick(self) -> None:
        self.charger.tick()
        self.settle()
