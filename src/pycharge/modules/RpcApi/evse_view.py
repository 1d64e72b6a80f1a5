"""What the RpcApi knows about one EvseManager, in the JSON-RPC API's objects.

Fed by the EvseManager's variables; each ``on_*`` returns whether a notification is due.
State names and the session-event mapping are EVerest's RpcApi's (``EVSEStateEnum``).
"""

from __future__ import annotations

from typing import Any

# EvseManager session event -> EVSEStateEnum; events not listed leave the state as it is
STATES = {
    "Enabled": "Unplugged", "Disabled": "Disabled", "AuthRequired": "AuthRequired",
    "PrepareCharging": "Preparing", "SessionStarted": "Preparing",
    "SessionResumed": "Preparing", "TransactionStarted": "Preparing",
    "ChargingStarted": "Charging", "ChargingPausedEV": "ChargingPausedEV",
    "ChargingPausedEVSE": "ChargingPausedEVSE", "ChargingFinished": "Finished",
    "StoppingCharging": "FinishedEV", "PluginTimeout": "AuthTimeout",
    "ReservationStart": "Reserved", "ReservationEnd": "Unplugged",
    "SessionFinished": "Unplugged", "SwitchingPhases": "SwitchingPhases",
}
PROTOCOLS = {"IEC61851-1": "IEC61851", "DIN70121": "DIN70121", "ISO15118-2": "ISO15118",
             "ISO15118-20": "ISO15118_20"}
CONNECTOR_TYPES = {"cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309_1P_16A",
                   "s309_1P_32A", "s309_3P_16A", "s309_3P_32A", "sBS1361", "sCEE_7_7", "sType2",
                   "sType3", "Other1PhMax16A", "Other1PhOver16A", "Other3Ph", "Pan",
                   "wInductive", "wResonant", "Undetermined", "Unknown"}
CAPABILITIES = ("max_current_A_export", "max_current_A_import", "max_phase_count_export",
                "max_phase_count_import", "min_current_A_export", "min_current_A_import",
                "min_phase_count_export", "min_phase_count_import")
METER_KEYS = ("timestamp", "meter_id", "phase_seq_error", "energy_Wh_import", "energy_Wh_export",
              "power_W", "voltage_V", "current_A", "frequency_Hz")


class EvseView:
    def __init__(self, module_id: str, monotonic: Any) -> None:
        self.module_id = module_id
        self._monotonic = monotonic
        self.index: int | None = None  # the EvseManager's EVSE id, from get_evse
        self.connectors: list[dict[str, Any]] = []
        self.evse_id = ""
        self.modes: list[str] = []
        self.state = "Unknown"
        self.charging_allowed = True
        self.available = True
        self.protocol = "Unknown"
        self.errors: set[str] = set()
        self.capabilities: dict[str, Any] | None = None
        self.meter: dict[str, Any] | None = None
        self.max_current: float | None = None
        self.phases: int | None = None
        self._start_wh: float | None = None
        self._latest_wh: float | None = None
        self._charged_wh = 0.0
        self._started_at: float | None = None
        self._duration_s = 0

    # -- from the EvseManager --------------------------------------------------------------------
    def on_evse(self, evse: dict[str, Any]) -> None:
        self.index = evse["id"]
        self.connectors = [{"index": c["id"], "type": c.get("type") if c.get("type")
                            in CONNECTOR_TYPES else "Unknown"} for c in evse.get("connectors", [])]

    def on_session_event(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        self.state = STATES.get(name, self.state)
        if name == "TransactionFinished":
            local = (event.get("transaction_finished") or {}).get("reason") == "Local"
            self.state = "FinishedEVSE" if local else "Finished"
        if self.state == "Charging":
            self.charging_allowed = True
        source = event.get("source") or {}
        if source.get("enable_state") in ("Enable", "Disable"):
            self.available = source["enable_state"] == "Enable"
        elif name in ("Enabled", "Disabled"):
            self.available = name == "Enabled"
        if name == "TransactionStarted":
            meter = (event.get("transaction_started") or {}).get("meter_value") or {}
            self._start_wh = (meter.get("energy_Wh_import") or {}).get("total", self._latest_wh)
            self._started_at, self._charged_wh, self._duration_s = self._monotonic(), 0.0, 0
        elif name == "TransactionFinished":
            self._update_totals()
            self._start_wh = self._started_at = None

    def on_powermeter(self, meter: dict[str, Any]) -> None:
        self.meter = {key: meter[key] for key in METER_KEYS if key in meter}
        self._latest_wh = (meter.get("energy_Wh_import") or {}).get("total")
        self._update_totals()

    def on_capabilities(self, caps: dict[str, Any]) -> None:
        self.capabilities = {key: caps[key] for key in CAPABILITIES if key in caps}
        self.capabilities["phase_switch_during_charging"] = bool(
            caps.get("supports_changing_phases_during_charging"))

    def on_enforced_limits(self, limits: dict[str, Any]) -> None:
        root = limits.get("limits_root_side") or {}
        self.max_current = (root.get("ac_max_current_A") or {}).get("value", self.max_current)
        self.phases = (root.get("ac_max_phase_count") or {}).get("value", 3)

    def _update_totals(self) -> None:
        if self._start_wh is not None and self._latest_wh is not None:
            self._charged_wh = max(0.0, self._latest_wh - self._start_wh)
        if self._started_at is not None:
            self._duration_s = int(self._monotonic() - self._started_at)

    # -- the API's objects -----------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.evse_id, "available_connectors": self.connectors,
                "supported_energy_transfer_modes": self.modes}

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "charged_energy_wh": self._charged_wh, "discharged_energy_wh": 0.0,
            "charging_duration_s": self._duration_s, "charging_allowed": self.charging_allowed,
            "available": self.available, "active_connector_index": 1,
            "error_present": bool(self.errors), "charge_protocol": self.protocol,
            "state": self.state}
        param: dict[str, Any] = {}
        if self.max_current is not None:
            param["evse_max_current"] = self.max_current
        if self.capabilities and "max_phase_count_import" in self.capabilities:
            param["evse_max_phase_count"] = self.capabilities["max_phase_count_import"]
        if param:
            status["ac_charge_param"] = param
        if self.phases is not None:
            status["ac_charge_status"] = {"evse_active_phase_count": self.phases}
        return status
