"""CbTarragonPlugLock: the plug lock motor on X9 of Charge Control C (``connector_lock``).

Does what chargebyte's C++ module does (README: where it differs): an unlock at start-up once
the backup capacitor is charged, lock/unlock with a feedback check, an optional monitor.
"""

from __future__ import annotations

from typing import ClassVar

from pycharge.modules.CbTarragonPlugLock.actuator import (
    LOCK,
    MONITOR_PERIOD_S,
    UNLOCK,
    LockActuator,
)
from pycharge.modules.CbTarragonPlugLock.lock_sense import (
    adc_to_capacitor_mv,
    adc_to_sense_mv,
    windows,
)
from pycharge.modules.CbTarragonPlugLock.motor import Drv8872
from pycharge.runtime.module import Implementation, Module


class ConnectorLock(Implementation):
    """connector_lock: both commands return at once; the motion runs on timers."""

    def lock(self) -> None:
        self.module.actuator.request(LOCK)

    def unlock(self) -> None:
        self.module.actuator.request(UNLOCK)


class CbTarragonPlugLock(Module):
    implementations: ClassVar[dict[str, type[Implementation]]] = {"connector_lock": ConnectorLock}
    uses_hal = True

    def init(self) -> None:
        config, hal = self.config, self.hal
        unlocked, locked = windows(config)
        in1 = self.hardware(hal.gpio_output(config["drv8872_in1_gpio_line_name"],
                                           active_low=config["drv8872_in1_active_low"]))
        in2 = self.hardware(hal.gpio_output(config["drv8872_in2_gpio_line_name"],
                                           active_low=config["drv8872_in2_active_low"]))
        self.motor = Drv8872(in1, in2)
        sense = self.hardware(hal.adc(config["sense_adc_device"], config["sense_adc_channel"]))
        capacitor = self.hardware(hal.adc(config["capcharge_adc_device"],
                                         config["capcharge_adc_channel"]))
        self.actuator = LockActuator(
            self.motor, lambda: adc_to_sense_mv(sense.read_raw()),
            lambda: adc_to_capacitor_mv(capacitor.read_raw()), unlocked, locked,
            config["actuator_duration"] / 1000, config["charged_threshold_voltage"],
            self.call_later, self.clock.monotonic, self.impl["connector_lock"], self.log)

    def ready(self) -> None:
        self.actuator.start_up()
        if self.config["enable_monitoring"]:
            self.every(MONITOR_PERIOD_S, self.actuator.monitor)

    def shutdown(self) -> None:
        """Motor coasting (the runtime then closes the HAL objects); also after a failure or a
        half-done init."""
        motor = getattr(self, "motor", None)
        if motor is not None:
            motor.set("coast")

    def safe_state(self) -> None:
        """Supervisor thread: stop a moving motor (brake, as after every move); no locks."""
        motor = getattr(self, "motor", None)
        if motor is not None:
            motor.set("brake")
