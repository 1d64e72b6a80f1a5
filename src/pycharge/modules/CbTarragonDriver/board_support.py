"""The ``evse_board_support`` commands: CP generation requests and the permission to switch power.

Every command runs on the module's thread. CP changes take the CP lock so they never land
between a peak-detector reset and its read. ``allow_power_on`` only records the permission: the
sampling loop closes the relays when the 10 s minimum close interval is over and the CP is (still)
in C, so the caller is never blocked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pycharge.modules.CbTarragonDriver.cp_generator import STATE_E_EDGE_S
from pycharge.runtime.module import Implementation

if TYPE_CHECKING:
    from pycharge.modules.CbTarragonDriver.module import CbTarragonDriver


def signalled_current_a(duty_percent: float) -> float | None:
    """The current a duty cycle offers (IEC 61851-1), for the log only."""
    if not 10 <= duty_percent <= 96:
        return None
    return (duty_percent - 64) * 2.5 if duty_percent >= 85 else duty_percent * 0.6


class BoardSupport(Implementation):
    """evse_board_support: enable, PWM/X1/F/E, allow_power_on, phase count, over-current limit."""

    module: CbTarragonDriver

    def __init__(self, module: Any, impl_id: str) -> None:
        super().__init__(module, impl_id)
        self.enabled = False
        self.cached_duty = 100.0  # the last PWM command, applied while enabled
        self._generation = 0      # counts CP commands, so a late state-E release can tell

    def enable(self, value: bool) -> None:
        self.enabled = value
        self._apply(self.cached_duty if value else 0.0)
        if value:
            self.module.republish_cp_state()

    def pwm_on(self, value: float) -> None:
        amps = signalled_current_a(value)
        self.module.log.info("PWM %.1f %%%s", value, f" ({amps:.1f} A)" if amps is not None else "")
        self._cache(value)

    def cp_state_X1(self) -> None:
        self._cache(100.0)

    def cp_state_F(self) -> None:
        self._cache(0.0)

    def cp_state_E(self) -> None:
        """0 V on the CP: +12 V for one period first (a clean edge), then release the driver."""
        self._generation += 1
        with self.module.cp_lock:
            self.module.generator.begin_state_e()
        self.module.call_later(STATE_E_EDGE_S, self._release, self._generation)

    def _release(self, generation: int) -> None:
        if generation == self._generation:
            with self.module.cp_lock:
                self.module.generator.release()

    def _cache(self, duty: float) -> None:
        self.cached_duty = duty
        if self.enabled:
            self._apply(duty)

    def _apply(self, duty: float) -> None:
        self._generation += 1
        with self.module.cp_lock:
            self.module.generator.set_duty(duty)

    def allow_power_on(self, value: dict[str, Any]) -> None:
        allow = bool(value["allow_power_on"])
        refused = self.module.power.request(allow, self.module.hal.clock.monotonic())
        if refused is not None:
            self.module.log.warning("allow_power_on(true, %s) refused: %s", value["reason"], refused)

    def ac_switch_three_phases_while_charging(self, value: bool) -> None:
        """The phase count of the next close (chargebyte does the same); a closed contactor is
        never switched by it."""
        if self.module.forced_one_phase and value:
            self.module.log.warning("three phases requested, but the grid has one phase")
        phases = 3 if value and not self.module.forced_one_phase else 1
        self.module.power.set_phases(phases)

    def ac_set_overcurrent_limit_A(self, value: float) -> None:
        """The board has no fast over-current trip."""
