"""The commands EvseManager answers: ``evse`` (evse_manager), ``energy_grid`` (energy) and
``random_delay`` (uk_random_delay).

Each command changes the charger's flags or state and lets the state machine run once, on the
module thread like everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pycharge.modules.EvseManager.charger import EvseState
from pycharge.modules.EvseManager.power_budget import limit_from_enforced
from pycharge.runtime.module import Implementation

if TYPE_CHECKING:
    from pycharge.modules.EvseManager.module import EvseManager

CONNECTOR_TYPES = frozenset({
    "cCCS1", "cCCS2", "cG105", "cMCS", "cTesla", "cType1", "cType2", "s309_1P_16A",
    "s309_1P_32A", "s309_3P_16A", "s309_3P_32A", "sBS1361", "sCEE_7_7", "sType2", "sType3",
    "Other1PhMax16A", "Other1PhOver16A", "Other3Ph", "Pan", "wInductive", "wResonant",
    "Undetermined", "Unknown"})
NOT_IN_USE = (EvseState.Disabled, EvseState.Idle, EvseState.WaitingForAuthentication)


class Evse(Implementation):
    """evse_manager: sessions, authorization, pausing, enabling."""

    module: EvseManager

    def get_evse(self) -> dict[str, Any]:
        connector: dict[str, Any] = {"id": 1}
        if self.module.config["connector_type"] in CONNECTOR_TYPES:
            connector["type"] = self.module.config["connector_type"]
        return {"id": self.module.config["connector_id"], "connectors": [connector]}

    def enable_disable(self, connector_id: int, cmd_source: dict[str, Any]) -> bool:
        enabled = self.module.charger.enable_disable(connector_id, cmd_source)
        self.module.settle()
        return enabled

    def authorize_response(self, provided_token: dict[str, Any],
                           validation_result: dict[str, Any]) -> None:
        if validation_result["authorization_status"] != "Accepted":
            self.module.log.info("authorization %s for this EVSE: no effect",
                                 validation_result["authorization_status"])
            return
        self.module.charger.auth.authorize(provided_token, validation_result)
        if "reservation_id" in validation_result:
            self.module.session.reserve(validation_result["reservation_id"], signal=False)
        self.module.settle()

    def withdraw_authorization(self) -> None:
        charger = self.module.charger
        if charger.auth.authorized and self.module.session.reservation_id is not None:
            self.module.session.cancel_reservation()
        charger.auth.deauthorize(in_use=charger.state not in NOT_IN_USE)
        self.module.settle()

    def reserve(self, reservation_id: int) -> bool:
        charger = self.module.charger
        if charger.state != EvseState.Idle or charger.fatal():
            self.module.log.info("reservation refused: the EVSE is %s%s", charger.state.value,
                                 " and inoperative" if charger.fatal() else "")
            return False
        return self.module.session.reserve(reservation_id)

    def cancel_reservation(self) -> None:
        self.module.session.cancel_reservation()

    def pause_charging(self) -> bool:
        return self._settled(self.module.charger.auth.pause(True))

    def resume_charging(self) -> bool:
        return self._settled(self.module.charger.auth.pause(False))

    def stop_transaction(self, request: dict[str, Any]) -> bool:
        return self._settled(self.module.charger.auth.cancel(request))

    def force_unlock(self, connector_id: int) -> bool:
        if self.module.connection("connector_lock") is None:
            return False
        self.module.charger.auth.cancel({"reason": "UnlockCommand"})
        self.module.iec.force_unlock()
        return self._settled(True)

    def external_ready_to_start_charging(self) -> bool:
        if not self.module.config["external_ready_to_start_charging"]:
            self.module.log.warning("external_ready_to_start_charging ignored: the config "
                                    "option external_ready_to_start_charging is false")
            return False
        self.module.external_ready()
        return True

    def set_plug_and_charge_configuration(self, plug_and_charge_configuration: dict[str, Any]
                                          ) -> None:
        self.module.log.info("plug and charge configuration ignored: no ISO 15118 here")

    def update_allowed_energy_transfer_modes(self, allowed_energy_transfer_modes: list[str]
                                             ) -> str:
        return "NoHlc"

    def _settled(self, result: bool) -> bool:
        self.module.settle()
        return result


class EnergyGrid(Implementation):
    """energy: the EnergyManager's limits for this EVSE (the leaf of the energy tree)."""

    module: EvseManager

    def enforce_limits(self, value: dict[str, Any]) -> None:
        module = self.module
        if value["uuid"] != module.id:
            return
        module.impl["evse"].publish("enforced_limits", value)
        root = value.get("limits_root_side") or {}
        supported = bool(module.caps and module.caps["supports_changing_phases_during_charging"])
        phases = module.charger.phase_switch.enforce(
            root.get("ac_max_phase_count", {}).get("value"), module.active_phases, supported)
        limit = limit_from_enforced(root, module.config["ac_nominal_voltage"], phases)
        # Discharging is impossible with PWM charging: a negative limit offers 0 A.
        limit = module.random_delay.apply(max(limit, 0.0), module.charger.state.value)
        module.budget.set_max_current(limit, value["valid_for"])
        module.settle()


class RandomDelayCommands(Implementation):
    """uk_random_delay: UK smart charging random delays, switched at runtime."""

    module: EvseManager

    def enable(self) -> None:
        self.module.random_delay.enable()

    def disable(self) -> None:
        self.module.random_delay.disable()

    def cancel(self) -> None:
        self.module.random_delay.cancel()

    def set_duration_s(self, value: int) -> None:
        self.module.random_delay.set_duration_s(value)
