"""A board for EvseManager's bus tests (no hardware, no simulation of the pilot's voltages).

Like the real driver it publishes its capabilities in ``ready``, re-publishes the CP state
after ``enable(true)``, closes its "relays" only on ``allow_power_on`` in state C and opens them
itself when the car leaves C. The test drives it with :meth:`FakeBoard.set_cp`,
:meth:`FakeBoard.set_error`, :meth:`FakeBoard.can_switch_phases` and :meth:`FakeBoard.weld`
through ``submit`` (they run on the module thread).
"""

from typing import Any, ClassVar

from pycharge.runtime.module import Implementation, Module

CAPABILITIES = {
    "max_current_A_import": 32.0, "min_current_A_import": 6.0, "max_phase_count_import": 3,
    "min_phase_count_import": 3, "max_current_A_export": 32.0, "min_current_A_export": 6.0,
    "max_phase_count_export": 3, "min_phase_count_export": 3,
    "supports_changing_phases_during_charging": False, "supports_cp_state_E": True,
    "connector_type": "IEC62196Type2Cable"}


class BoardSupport(Implementation):
    module: "FakeBoard"

    def enable(self, value: bool) -> None:
        self.module.enabled = value
        if value:
            self.module.publish_cp()

    def pwm_on(self, value: float) -> None:
        self.module.duty = value

    def cp_state_X1(self) -> None:
        self.module.duty = 100.0

    def cp_state_F(self) -> None:
        self.module.duty = 0.0

    def cp_state_E(self) -> None:
        self.module.duty = 0.0

    def allow_power_on(self, value: dict[str, Any]) -> None:
        self.module.switch(value["allow_power_on"] and self.module.cp == "C")

    def ac_switch_three_phases_while_charging(self, value: bool) -> None:
        self.module.phases = 3 if value else 1

    def ac_set_overcurrent_limit_A(self, value: float) -> None:
        pass


class FakeBoard(Module):
    implementations: ClassVar[dict[str, type[Implementation]]] = {
        "evse_board_support": BoardSupport}

    def init(self) -> None:
        self.enabled = False
        self.cp = "A"
        self.duty = 100.0
        self.relays = False
        self.phases = 3
        self.welded = False  # the relays never open

    def ready(self) -> None:
        self.impl["evse_board_support"].publish("capabilities", CAPABILITIES)

    def publish_cp(self) -> None:
        self.impl["evse_board_support"].publish("event", {"event": self.cp})

    def switch(self, on: bool) -> None:
        if on != self.relays and not (self.welded and not on):
            self.relays = on
            self.impl["evse_board_support"].publish("event", {"event": "PowerOn" if on else "PowerOff"})

    def set_cp(self, state: str) -> None:
        self.cp = state
        if state != "C":
            self.switch(False)  # the board opens by itself when the car leaves C
        if self.enabled:
            self.publish_cp()

    def can_switch_phases(self) -> None:
        """Capabilities of a board with a phase relay (min 1, max 3 phases)."""
        self.impl["evse_board_support"].publish("capabilities", {
            **CAPABILITIES, "min_phase_count_import": 1, "min_phase_count_export": 1,
            "supports_changing_phases_during_charging": True})

    def weld(self) -> None:
        self.welded = True

    def set_error(self, error_type: str, active: bool) -> None:
        implementation = self.impl["evse_board_support"]
        if active:
            implementation.raise_error(error_type, "raised by the test", severity="High")
        else:
            implementation.clear_error(error_type)
