"""CbTarragonDriver: Charge Control C's control pilot, relays, proximity pilot and RCM input.

Provides ``evse_board_support`` (impl ``evse_board_support``) and ``ac_rcd`` (impl ``ac_rcd``)
like chargebyte's C++ module of the same name; the README lists where it differs. The sampling
loop (``sampler.py``) runs on its own thread and opens the relays by itself; everything it finds
is published from the module's thread through :class:`_ToModuleThread`.
"""

from __future__ import annotations

import functools
import threading
from typing import ClassVar

from pycharge import __version__
from pycharge.modules.CbTarragonDriver.board_support import BoardSupport
from pycharge.modules.CbTarragonDriver.capabilities import capabilities
from pycharge.modules.CbTarragonDriver.contactors import Contactors, Wiring
from pycharge.modules.CbTarragonDriver.control_pilot import ControlPilot
from pycharge.modules.CbTarragonDriver.cp_generator import CpGenerator
from pycharge.modules.CbTarragonDriver.cp_signal import PF, A, CpVerdict
from pycharge.modules.CbTarragonDriver.heartbeat import HeartbeatWatch
from pycharge.modules.CbTarragonDriver.power import PowerControl
from pycharge.modules.CbTarragonDriver.proximity import (
    PP_PERIOD_S,
    PROXIMITY_FAULT,
    ProximityObserver,
    adc_to_pp_mv,
)
from pycharge.modules.CbTarragonDriver.rcd import Rcd
from pycharge.modules.CbTarragonDriver.rcm import RcmInput
from pycharge.modules.CbTarragonDriver.relays import FeedbackType, Relay
from pycharge.modules.CbTarragonDriver.sampler import Sampler
from pycharge.runtime.module import Implementation, Module

BSP, RCD = "evse_board_support", "ac_rcd"
PILOT_FAULT = "evse_board_support/MREC14PilotFault"
DIODE_FAULT = "evse_board_support/DiodeFault"
VENTILATION = "evse_board_support/VentilationNotAvailable"
CONTACTOR_FAULT = "evse_board_support/MREC17EVSEContactorFault"
GROUND_FAILURE = "ac_rcd/MREC2GroundFailure"
SAMPLER_WATCHDOG_S = 5.0


class CbTarragonDriver(Module):
    implementations: ClassVar[dict[str, type[Implementation]]] = {BSP: BoardSupport, RCD: Rcd}
    uses_hal = True

    # -- lifecycle ----------------------------------------------------------------------------
    def init(self) -> None:
        self.log.info("pycharge board driver for Charge Control C (version: %s)", __version__)
        config, hal = self.config, self.hal
        self.cp_lock = threading.Lock()
        self.forced_one_phase = self._grid_has_one_phase()
        wiring = Wiring(config["switch_3ph1ph_wiring"])
        self.contactors = Contactors(wiring, self._relay(1, True),
                                     self._relay(2, wiring != Wiring.NONE))
        if wiring == Wiring.NONE and config["contactor_1_feedback_type"] == FeedbackType.NONE:
            self.log.warning("the contactor has no feedback: a welded contact cannot be detected")
        self.power = PowerControl(self.contactors, self.log)
        self.power.phases = 1 if self.forced_one_phase else 3
        self.generator = CpGenerator(
            self.hardware(hal.pwm(config["cp_pwm_device"], config["cp_pwmchannel"])),
            self.hardware(hal.gpio_output(config["cp_invert_gpio_line_name"])))
        control_pilot = ControlPilot(
            hal.clock,
            self.hardware(hal.gpio_output(config["cp_rst_pos_peak_gpio_line_name"])),
            self.hardware(hal.gpio_output(config["cp_rst_neg_peak_gpio_line_name"])),
            self.hardware(hal.adc(config["cp_pos_peak_adc_device"], config["cp_pos_peak_adc_channel"])),
            self.hardware(hal.adc(config["cp_neg_peak_adc_device"], config["cp_neg_peak_adc_channel"])),
            self.log)
        rcm = None
        if config["rcm_enable"]:
            rcm = RcmInput(self.hardware(hal.gpio_input(config["rcm_fault_gpio_line_name"],
                                                       active_low=config["rcm_fault_active_low"])))
        users = [module_id for module_id, _ in self.required_by(BSP)]
        self.heartbeat = HeartbeatWatch(users, config["heartbeat_timeout_ms"] / 1000,
                                        hal.clock.monotonic())
        for module_id in users:
            self.subscribe_heartbeat(module_id, functools.partial(self._beat, module_id))
        self.sampler = Sampler(hal.clock, control_pilot, self.generator, self.cp_lock, self.power,
                               rcm, self.heartbeat, _ToModuleThread(self),
                               config["cp_idle_sample_period_ms"] / 1000, self.log)
        self.pp_adc = self.hardware(hal.adc(config["pp_adc_device"], config["pp_adc_channel"]))
        self.proximity = ProximityObserver()
        self.last_cp_event: str | None = None
        self.cp_state = "E"
        self._republish_wanted = False
        self._relays_event: str | None = None  # the last PowerOn/PowerOff, for a reconnect
        self._sampler_thread = self.spawn(
            "cp", functools.partial(self.sampler.run, self.stopping, self.feed_watchdog),
            watchdog=SAMPLER_WATCHDOG_S)
        if config["connector_type"] == "IEC62196Type2Socket":
            self.every(PP_PERIOD_S, self._sample_pp)

    def ready(self) -> None:
        self.bsp.publish("capabilities", capabilities(self.config, self.forced_one_phase))
        self._publish_telemetry()

    def reconnected(self) -> None:
        self._publish_state()

    def _publish_state(self, relays: bool = True) -> None:
        """Everything a user of the board learns once: for a user that missed it (the bus was
        away) or never heard it (a new instance of EvseManager after a restart)."""
        self.bsp.publish("capabilities", capabilities(self.config, self.forced_one_phase))
        self.republish_cp_state()
        if self.proximity.published is not None and self.bsp.enabled:
            self.bsp.publish("ac_pp_ampacity", {"ampacity": self.proximity.published})
        if relays and self._relays_event is not None:
            # Relays opened while the bus was away (e.g. for a lost heartbeat) were not heard
            # by EvseManager; without this it would wait for relays it believes closed.
            self.bsp.publish("event", {"event": self._relays_event})
        self._publish_telemetry()

    def _publish_telemetry(self) -> None:
        """Only what the board knows: whether its relays are confirmed closed. It has no
        temperature, fan or supply-voltage measurement, so those figures are left out."""
        self.bsp.publish("telemetry", {"relais_on": self._relays_event == "PowerOn"})

    def shutdown(self) -> None:
        """Relays open, loop stopped, CP released (the runtime then closes the HAL objects for
        the next instance); also after a failure, so it copes with a half-done ``init``."""
        power = getattr(self, "power", None)
        if power is not None:
            power.open_now(self.hal.clock.monotonic(), "shutdown")
        thread = getattr(self, "_sampler_thread", None)
        if thread is not None:
            thread.join(1.0)
        generator = getattr(self, "generator", None)
        if generator is not None:
            generator.release()

    def safe_state(self) -> None:
        """Supervisor thread: coils off, CP output stage and PWM off; no locks, no waiting."""
        contactors = getattr(self, "contactors", None)
        if contactors is not None:
            contactors.force_open()
        generator = getattr(self, "generator", None)
        if generator is not None:
            generator.force_safe()

    # -- set-up helpers ----------------------------------------------------------------------------
    @property
    def bsp(self) -> BoardSupport:
        return self.impl[BSP]  # type: ignore[return-value]

    def _relay(self, number: int, watched: bool) -> Relay:
        config, hal = self.config, self.hal
        feedback = FeedbackType(config[f"contactor_{number}_feedback_type"])
        coil = self.hardware(hal.gpio_output(config[f"relay_{number}_actuator_gpio_line_name"]))
        sense = None
        if watched and feedback != FeedbackType.NONE:
            sense = self.hardware(hal.gpio_input(config[f"relay_{number}_feedback_gpio_line_name"],
                                                active_low=feedback == FeedbackType.NC))
        return Relay(config[f"relay_{number}_name"], coil, sense,
                     config[f"relay_{number}_feedback_gpio_debounce_us"] / 1e6)

    def _grid_has_one_phase(self) -> bool:
        """The optional grid phase count input: inactive means the grid has one phase."""
        name = self.config["grid_phase_count_gpio_line_name"]
        if not name:
            return False
        line = self.hal.gpio_input(name, active_low=self.config["grid_phase_count_active_low"])
        try:
            three_phases = bool(line.read())
        finally:
            line.close()
        if not three_phases:
            self.log.info("grid phase count input: one phase; phase switching disabled")
        return not three_phases

    def _beat(self, module_id: str, number: int) -> None:
        now = self.hal.clock.monotonic()
        if self.heartbeat.beat(module_id, number, now):
            # A new instance knows nothing of the permission its predecessor gave.
            self.log.warning("%s was restarted", module_id)
            self.power.open_now(now, f"{module_id} was restarted")
            self._publish_state(relays=False)  # their confirmed opening follows

    def republish_cp_state(self) -> None:
        """Publish the CP state once it is confirmed, even if unchanged (EvseManager ignores
        events before its enable(true), and a reconnect may have lost one)."""
        self._republish_wanted = True
        self.sampler.request_republish()

    # -- what the sampling loop found (module thread) -----------------------------------------------
    def on_cp_verdict(self, verdict: CpVerdict, republish: bool) -> None:
        state = verdict.state.value
        if not republish:
            # New errors before the event, cleared ones after it: a fault that clears on the way
            # to A must not look, for an instant, like a healthy car that still wants power.
            self._cp_errors(verdict, raising=True)
            if state != self.cp_state:
                self.log.info("CP state change from %s to %s, U_CP+ %d mV, U_CP- %d mV, PWM %.1f %%",
                              self.cp_state, state, self.sampler.cp.u_pos, self.sampler.cp.u_neg,
                              self.generator.duty_percent if self.generator.driven else 0.0)
            self.cp_state = state
            if verdict.state == A:
                self._clear_pp_faults(self.proximity.cp_state_a())
        # A line measured undriven while the generator drives now was measured before
        # enable(true) took effect: its E is the board's own silence, not the car.
        current = verdict.driven or not self.generator.driven
        if verdict.state != PF and self.bsp.enabled and current and (
                state != self.last_cp_event or (republish and self._republish_wanted)):
            self.last_cp_event = state
            self._republish_wanted = False
            self.bsp.publish("event", {"event": state})
        if not republish:
            self._cp_errors(verdict, raising=False)

    def _cp_errors(self, verdict: CpVerdict, raising: bool) -> None:
        """Raise the CP errors the verdict shows (``raising``), or clear those it no longer does."""
        checks = ((PILOT_FAULT, verdict.short, "CP short fault detected.", "CPShortFault"),
                  (DIODE_FAULT, verdict.diode, "Diode fault detected.", ""),
                  (PILOT_FAULT, verdict.out_of_range, "CP voltage is out of range.", "CPOutOfRange"),
                  (VENTILATION, verdict.ventilation, "Ventilation fault detected.", ""))
        for error_type, active, message, sub_type in checks:
            if active and raising:
                if self.bsp.raise_error(error_type, message, sub_type, "High") is not None:
                    self.log.error("%s", message)
            elif not active and not raising and self.bsp.error_active(error_type, sub_type):
                self.bsp.clear_error(error_type, sub_type)

    def on_power_event(self, event: str) -> None:
        self.log.info("relays %s confirmed", "closed" if event == "PowerOn" else "open")
        self._relays_event = event
        self.bsp.publish("event", {"event": event})
        self._publish_telemetry()

    def on_contactor_fault(self, message: str) -> None:
        self.log.error("%s", message)
        self.bsp.raise_error(CONTACTOR_FAULT, message, severity="High")

    def on_contactor_recovered(self) -> None:
        self.log.info("contactor feedback confirmed again with the CP in A: contactor fault cleared")
        self.bsp.clear_error(CONTACTOR_FAULT)

    def on_rcm_changed(self, tripped: bool) -> None:
        for impl_id in (RCD, BSP):
            _set_error(self.impl[impl_id], GROUND_FAILURE, tripped, "RCM failure detected")
        if tripped:
            self.log.error("RCM failure detected")
        else:
            self.log.info("RCM fault released")

    # -- proximity pilot (module thread, every 500 ms) --------------------------------------------
    def _sample_pp(self) -> None:
        mv = adc_to_pp_mv(self.pp_adc.read_raw())
        decision = self.proximity.sample(mv, self.bsp.enabled, self.cp_state)
        if decision.publish is not None:
            self.log.info("Read PP ampacity value: %s (U_PP: %d mV)", decision.publish, mv)
            self.bsp.publish("ac_pp_ampacity", {"ampacity": decision.publish})
        if decision.raise_fault is not None:
            sub_type, message = decision.raise_fault
            if self.bsp.raise_error(PROXIMITY_FAULT, message, sub_type, "High") is not None:
                self.log.error("%s", message)
        self._clear_pp_faults(decision.clear)

    def _clear_pp_faults(self, sub_types: tuple[str, ...]) -> None:
        for sub_type in sub_types:
            self.bsp.clear_error(PROXIMITY_FAULT, sub_type)
        self.sampler.pp_fault = bool(self.proximity.active)


def _set_error(impl: Implementation, error_type: str, active: bool, message: str,
               sub_type: str = "") -> bool:
    """Raise while the condition holds, clear once it is gone; True if newly raised."""
    if active:
        return impl.raise_error(error_type, message, sub_type, "High") is not None
    if impl.error_active(error_type, sub_type):
        impl.clear_error(error_type, sub_type)
    return False


class _ToModuleThread:
    """The sampling loop's listener: queues each finding to the module's thread."""

    def __init__(self, module: CbTarragonDriver) -> None:
        self._module = module

    def cp_verdict(self, verdict: CpVerdict, republish: bool) -> None:
        self._module.submit(self._module.on_cp_verdict, verdict, republish)

    def power_event(self, event: str) -> None:
        self._module.submit(self._module.on_power_event, event)

    def contactor_fault(self, message: str) -> None:
        self._module.submit(self._module.on_contactor_fault, message)

    def contactor_recovered(self) -> None:
        self._module.submit(self._module.on_contactor_recovered)

    def rcm_changed(self, tripped: bool) -> None:
        self._module.submit(self._module.on_rcm_changed, tripped)

