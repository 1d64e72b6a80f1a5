"""The simulated Charge Control C with a car at its connector: one object, one lock.

Every access (a HAL call from a driver, the car simulator, a test) first lets due transitions
happen in time order (relay contacts, the lock reaching an end stop), each at its own simulated
time, then applies the change and recomputes what follows from it (CP line levels, the car's
current, digital inputs). Changes worth timing are written to ``log`` with simulated times.
"""

from __future__ import annotations

import errno
import random
import threading
from typing import Any

from pycharge.hal.errors import AdcError, GpioError, PwmError
from pycharge.runtime.clock import Clock
from pycharge.simulation import adc_scaling as scale
from pycharge.simulation import resources as res
from pycharge.simulation.car import CAR_STATES, Car
from pycharge.simulation.control_pilot import CpElectrics, PeakDetector, line_levels
from pycharge.simulation.digital_inputs import INPUTS, threshold_v
from pycharge.simulation.events import EventLog
from pycharge.simulation.meter import Meter
from pycharge.simulation.plug_lock import MOTOR_MODES, LockElectrics, PlugLock
from pycharge.simulation.proximity import Proximity
from pycharge.simulation.rcm import ResidualCurrentMonitor
from pycharge.simulation.relays import CONTACT_DELAY_S, Relay

PHASE_WIRINGS = ("none", "serial", "simultaneous", "mutual")
FAULTS = ("diode_short", "cp_short", "rcm_trip", "relay1_welded", "relay1_stuck",
          "relay2_welded", "relay2_stuck", "pp_short", "lock_jammed", "car_overdraw", "cable_cut",
          "pp_open", "lock_forced_open", "lock_forced_closed", "lock_capacitor_dead")


class Board:
    """The physical model behind :class:`pycharge.simulation.hal.SimHal`."""

    def __init__(self, clock: Clock, *, cp: CpElectrics | None = None,
                 lock: LockElectrics | None = None, contact_delay_s: float = CONTACT_DELAY_S,
                 cable_ohm: float = 220.0, max_current_a: float = 16.0, three_phases: bool = True,
                 nominal_voltage_v: float = 230.0, rcm_input: int = 2, noise_counts: float = 0.0,
                 seed: int = 0, phase_wiring: str = "none") -> None:
        if phase_wiring not in PHASE_WIRINGS:
            raise ValueError(f"phase wiring must be one of {', '.join(PHASE_WIRINGS)}, "
                             f"not {phase_wiring!r}")
        self.clock = clock
        self.phase_wiring = phase_wiring
        self.log = EventLog()
        self._lock = threading.RLock()
        now = clock.monotonic()
        self.electrics = cp or CpElectrics()
        self.detectors = {1: PeakDetector(1, self.electrics), -1: PeakDetector(-1, self.electrics)}
        self.car = Car(max_current_a, three_phases)
        self.relays = {1: Relay(1, contact_delay_s), 2: Relay(2, contact_delay_s)}
        self.pp = Proximity(cable_ohm)
        self.rcm = ResidualCurrentMonitor(rcm_input)
        self.di_volts = dict.fromkeys(INPUTS, 0.0)
        self.plug_lock = PlugLock(now, lock)
        self.meter = Meter(now, nominal_voltage_v)
        self.cp_short = False
        self.cable_cut = False  # CP and PP severed between the socket and the car
        self.outputs = dict(res.OUTPUT_LINES)
        self.static_inputs = dict(res.INPUT_LINES)
        self.pwm_state = {key: {"period": 0, "duty_cycle": 0, "enable": 0}
                          for key in res.PWM_CHANNELS}
        self.noise_counts = noise_counts
        self._rng = random.Random(seed)
        self._levels: tuple[float, ...] = (0.0,)
        self._seen: dict[tuple[str, str], Any] = {}
        self._update(now)

    # -- time ------------------------------------------------------------------------------------
    def _now(self) -> float:
        """Read the clock and let every transition due by then happen, in order."""
        now = self.clock.monotonic()
        while True:
            # Called for every line and channel access (about 2000 times a second while the
            # driver samples at full rate): no lists, just the earliest due part.
            at, part = now, None
            for candidate in (*self.relays.values(), self.plug_lock):
                t = candidate.next_change()
                if t is not None and (t < at or (t == at and part is None)):
                    at, part = t, candidate
            if part is None:
                return now
            part.apply_due(at)
            if isinstance(part, Relay):
                self.log.record(at, part.name, "contact", part.contact)
            self._update(at)

    def advance(self) -> float:
        """Bring the model up to the clock's present; returns that time."""
        with self._lock:
            return self._now()

    # -- derived state -----------------------------------------------------------------------------
    def _note(self, at: float, subject: str, change: str, value: Any) -> None:
        """Log ``value`` if it differs from the last one noted for subject/change."""
        if self._seen.get((subject, change), object()) != value:
            self._seen[(subject, change)] = value
            self.log.record(at, subject, change, value)

    def _update(self, now: float) -> None:
        car = self.car if not self.cable_cut else None
        self.pp.inserted = car is not None and car.plugged
        levels = line_levels(self.outputs["CP_INVERT"], self._cp_pwm_ratio(),
                             None if car is None else car.load_ohm(),
                             car is not None and car.diode_short,
                             self.cp_short or (car is not None and car.state == "E"),
                             self.electrics)
        if levels != self._levels:
            self._levels = levels
            for detector in self.detectors.values():
                detector.observe(levels)
        self._note(now, "cp", "output", self.cp_output())
        supplied = (False, False, False) if self.cable_cut else self.supplied_phases()
        currents = self.car.currents(self.cp_duty_percent(), supplied)
        self.meter.set_currents(now, currents)
        self._note(now, "meter", "current_A", currents)
        for number in INPUTS:
            self._note(now, f"DIGITAL_IN_{number}", "level", self._digital_input(number))
        self._note(now, "lock", "state", self.plug_lock.state(now))
        self._note(now, "rcm", "tripped", self.rcm.tripped)

    def supplied_phases(self) -> tuple[bool, bool, bool]:
        """L1..L3 switched through to the car by the relays, per installation wiring (the
        driver's ``switch_3ph1ph_wiring``): ``none`` relay 1 switches N and L1-L3; ``serial``
        and ``simultaneous`` relay 1 N+L1, relay 2 L2+L3; ``mutual`` relay 1 is the 3-phase
        contactor, relay 2 the 1-phase one (N+L1)."""
        one, two = self.relays[1].contact, self.relays[2].contact
        if self.phase_wiring == "none":
            return (one, one, one)
        if self.phase_wiring == "mutual":
            return (one or two, one, one)
        return (one, one and two, one and two)

    def _cp_pwm_ratio(self) -> float | None:
        pwm = self.pwm_state[res.CP_PWM]
        if not pwm["enable"] or pwm["period"] <= 0:
            return None
        return pwm["duty_cycle"] / pwm["period"]

    def cp_output(self) -> str | float:
        """What the EVSE puts on CP: "off" (not driven), or the duty in percent (0 = F, 100 = X1)."""
        if not self.outputs["CP_INVERT"]:
            return "off"
        ratio = self._cp_pwm_ratio()
        return 0.0 if ratio is None else round(ratio * 100.0, 4)

    def cp_duty_percent(self) -> float | None:
        """The duty the car reads from CP; None while the line is not driven."""
        output = self.cp_output()
        return None if output == "off" else float(output)

    def cp_levels(self) -> tuple[float, ...]:
        with self._lock:
            self._now()
            return self._levels

    def _digital_input(self, number: int) -> bool:
        pwm = self.pwm_state[res.DI_REFERENCE_PWM]
        volts = self.di_volts[number]
        if number == self.rcm.input_number:
            volts = max(volts, self.rcm.output_v())
        return volts > threshold_v(bool(pwm["enable"]), pwm["period"], pwm["duty_cycle"])

    # -- GPIO (physical levels) --------------------------------------------------------------------
    def line_direction(self, name: str) -> str:
        if name in self.outputs:
            return "out"
        if name in self.static_inputs:
            return "in"
        raise GpioError(errno.ENOENT, f"no GPIO line named {name!r} on the simulated board; lines: "
                                      f"{', '.join(sorted([*self.outputs, *self.static_inputs]))}")

    def read_line(self, name: str) -> bool:
        with self._lock:
            self._now()
            if name in self.outputs:
                return self.outputs[name]
            if name.startswith("RELAY_") and name.endswith("_SENSE"):
                return self.relays[int(name[6])].contact
            if name.startswith("DIGITAL_IN_"):
                return self._digital_input(int(name[11:]))
            self.line_direction(name)
            return self.static_inputs[name]

    def write_line(self, name: str, level: bool) -> None:
        with self._lock:
            now = self._now()
            if self.line_direction(name) != "out":
                raise GpioError(errno.EPERM, f"{name} is an input; it cannot be driven")
            if self.outputs[name] == level:
                return
            self.outputs[name] = level
            if name.startswith("CP_") and name.endswith("_PEAK_RST"):
                sign = 1 if name == "CP_POSITIVE_PEAK_RST" else -1
                self.detectors[sign].set_reset(level, now, self._levels)
                return  # 250 samples a second: not worth a log entry each
            if name in ("RELAY_1_ENABLE", "RELAY_2_ENABLE"):
                relay = self.relays[int(name[6])]
                relay.set_coil(level, now)
                self.log.record(now, relay.name, "coil", level)
            elif name.startswith("MOTOR_1_DRIVER_"):
                mode = MOTOR_MODES[(not self.outputs["MOTOR_1_DRIVER_IN1_N"],
                                    self.outputs["MOTOR_1_DRIVER_IN2"])]
                if mode != self.plug_lock.motor:
                    self.plug_lock.set_motor(mode, now)
                    self.log.record(now, "lock", "motor", mode)
            elif name != "CP_INVERT":
                self.log.record(now, name, "level", level)
            self._update(now)

    def set_input_level(self, name: str, level: bool) -> None:
        """Set an input the model does not drive itself (rotary switch, fault lines, variant)."""
        with self._lock:
            now = self._now()
            if name not in self.static_inputs or name.startswith(("RELAY_", "DIGITAL_IN_")):
                raise ValueError(f"{name} is not a static input of the simulated board")
            self.static_inputs[name] = level
            self.log.record(now, name, "level", level)

    def set_input_volts(self, number: int, volts: float) -> None:
        """Put ``volts`` on DIG_IN_<number>."""
        with self._lock:
            now = self._now()
            self.di_volts[number] = volts
            self._update(now)

    # -- PWM (sysfs attributes) --------------------------------------------------------------------
    def pwm_read(self, key: tuple[str, int], attribute: str) -> int:
        with self._lock:
            return self.pwm_state[key][attribute]

    def pwm_write(self, key: tuple[str, int], attribute: str, value: int) -> None:
        """Write like sysfs would: the kernel's checks, then the effect."""
        with self._lock:
            now = self._now()
            state = self.pwm_state[key]
            period = value if attribute == "period" else state["period"]
            duty = value if attribute == "duty_cycle" else state["duty_cycle"]
            if duty > period or (attribute == "enable" and value and period <= 0):
                raise PwmError(errno.EINVAL, f"PWM {key[0]}/{key[1]}: {attribute}={value} refused "
                                             f"(period {state['period']}, duty {state['duty_cycle']})")
            if state[attribute] == value:
                return
            state[attribute] = value
            self.log.record(now, f"pwm {key[0]}/{key[1]}", attribute, value)
            self._update(now)

    # -- ADC ---------------------------------------------------------------------------------------
    def adc_raw(self, device: str, channel: str) -> int:
        with self._lock:
            now = self._now()
            if device != res.ADC_DEVICE or channel not in res.ADC_CHANNELS:
                raise AdcError(errno.ENODEV, f"no ADC channel {channel} of {device} on the simulated "
                                             f"board; it has {res.ADC_DEVICE} with "
                                             f"{', '.join(res.ADC_CHANNELS)}")
            raw = self._raw(channel, now)
            if self.noise_counts:
                raw += round(self._rng.gauss(0.0, self.noise_counts))
            return min(scale.ADC_MAX, max(0, raw))

    def _raw(self, channel: str, now: float) -> int:
        if channel in ("voltage2", "voltage3"):
            detector = self.detectors[1 if channel == "voltage2" else -1]
            return scale.raw_for(detector.output(now) * 1000.0, scale.cp_mv)
        if channel == "voltage5":
            return scale.raw_for(self.pp.pin_voltage() * 1000.0, scale.pp_mv)
        if channel == "voltage0":
            return scale.raw_for(self.plug_lock.sense_v(now) * 1000.0, scale.sense_mv)
        if channel == "voltage4":
            return scale.raw_for(self.plug_lock.capacitor_v(now) * 1000.0, scale.capacitor_mv)
        return 0  # voltage1: motor 2 sense, nothing connected

    # -- the car and the installation ----------------------------------------------------------------
    def set_car_state(self, state: str) -> None:
        """A (unplugged), B, C, D (S2 and the ventilation resistor) or E (CP shorted by the car)."""
        if state not in CAR_STATES:
            raise ValueError(f"car state must be one of {', '.join(CAR_STATES)}, not {state!r}")
        with self._lock:
            now = self._now()
            if state == self.car.state:
                return
            self.car.state = state
            self.log.record(now, "car", "state", state)
            self._update(now)

    def set_car_request(self, amps: float, phases: int) -> None:
        """The current the car wants per phase, on 1 or 3 phases."""
        with self._lock:
            now = self._now()
            self.car.requested_a = amps
            self.car.phases = 3 if phases == 3 else 1
            self._update(now)

    def set_residual_current(self, milliamps: float) -> None:
        with self._lock:
            now = self._now()
            self.rcm.residual_ma = milliamps
            self._update(now)

    def _fault_flags(self) -> dict[str, tuple[Any, str]]:
        """fault -> (object, attribute) holding it (a held lock is ``plug_lock.held``)."""
        r1, r2, lock = self.relays[1], self.relays[2], self.plug_lock
        return {"diode_short": (self.car, "diode_short"), "cp_short": (self, "cp_short"),
                "rcm_trip": (self.rcm, "forced"), "relay1_welded": (r1, "welded"),
                "relay1_stuck": (r1, "stuck"), "relay2_welded": (r2, "welded"),
                "relay2_stuck": (r2, "stuck"), "pp_short": (self.pp, "shorted"),
                "lock_jammed": (lock, "jammed"), "car_overdraw": (self.car, "overdraw"),
                "cable_cut": (self, "cable_cut"), "pp_open": (self.pp, "contact_open"),
                "lock_capacitor_dead": (lock, "capacitor_dead")}

    def set_fault(self, fault: str, active: bool) -> None:
        """Inject or remove one of :data:`FAULTS`."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; faults: {', '.join(FAULTS)}")
        with self._lock:
            now = self._now()
            if (fault in self.faults()) == active:
                return
            if fault in ("lock_forced_open", "lock_forced_closed"):
                self.plug_lock.set_held((0.0 if fault == "lock_forced_open" else 1.0)
                                        if active else None, now)
            elif fault == "lock_jammed":
                self.plug_lock.set_jammed(active, now)
            else:
                setattr(*self._fault_flags()[fault], active)
                if fault.startswith("relay"):
                    self.relays[int(fault[5])].reschedule(now)
            self.log.record(now, "fault", fault, active)
            self._update(now)

    def faults(self) -> list[str]:
        active = {name for name, (obj, attr) in self._fault_flags().items() if getattr(obj, attr)}
        held = self.plug_lock.held
        if held is not None:
            active.add("lock_forced_open" if held == 0.0 else "lock_forced_closed")
        return [name for name in FAULTS if name in active]

    def meter_reading(self) -> dict[str, Any]:
        with self._lock:
            return self.meter.reading(self._now())

    def delivered_wh(self) -> float:
        """Energy the meter has seen flow to the car so far, all phases."""
        with self._lock:
            self.meter.integrate(self._now())
            return sum(self.meter.energy_wh)

    def snapshot(self) -> dict[str, Any]:
        """The electrical state in one JSON-able dict (published by the CarSimulator)."""
        with self._lock:
            now = self._now()
            self.meter.integrate(now)
            pos, neg = (self.detectors[s].output(now) for s in (1, -1))
            lock = self.plug_lock
            return {
                "time": round(now, 6),
                "cp": {"output": self.cp_output(), "levels_V": [round(v, 3) for v in self._levels],
                       "peak_positive_V": round(pos, 3), "peak_negative_V": round(neg, 3)},
                "car": {"state": self.car.state, "diode_short": self.car.diode_short,
                        "requested_A": self.car.requested_a, "phases": self.car.phases},
                "relays": {str(n): {"coil": r.coil, "contact": r.contact, "welded": r.welded,
                                    "stuck": r.stuck} for n, r in self.relays.items()},
                "pp": {"resistor_ohm": self.pp.resistor_ohm(),
                       "voltage_V": round(self.pp.pin_voltage(), 3)},
                "rcm": {"residual_mA": self.rcm.residual_ma, "tripped": self.rcm.tripped},
                "digital_inputs": {str(n): self._digital_input(n) for n in INPUTS},
                "lock": {"state": lock.state(now), "motor": lock.motor,
                         "sense_V": round(lock.sense_v(now), 3),
                         "capacitor_V": round(lock.capacitor_v(now), 2)},
                "meter": {"current_A": list(self.meter.currents_a),
                          "power_W": sum(self.meter.power_w()),
                          "energy_Wh": round(sum(self.meter.energy_wh), 3)},
                "faults": self.faults(),
            }
