"""``everest_api/<evse>/var/session_info``: the session as an HMI wants to see it.

The state follows the EvseManager's session events with the classic API's mapping; energy and
duration follow the billing meter between TransactionStarted and TransactionFinished. Durations
are measured on the monotonic clock, so a wall-clock jump (time sync) does not distort them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pycharge.runtime.clock import rfc3339

# Session event -> API state; events not listed leave the state as it is.
STATES = {
    "Enabled": "Unplugged", "Disabled": "Disabled", "AuthRequired": "AuthRequired",
    "SessionStarted": "Preparing", "TransactionStarted": "Preparing",
    "PrepareCharging": "Preparing", "ChargingStarted": "Charging",
    "ChargingPausedEV": "ChargingPausedEV", "ChargingPausedEVSE": "ChargingPausedEVSE",
    "ChargingFinished": "Finished", "StoppingCharging": "FinishedEV",
    "PluginTimeout": "AuthTimeout", "ReservationStart": "Reserved",
    "ReservationEnd": "Unplugged", "SessionFinished": "Unplugged",
}
# States in which meter readings extend the session's energy and duration.
METERING = ("AuthRequired", "Charging", "ChargingPausedEV", "ChargingPausedEVSE")


def state_after(event: dict[str, Any], state: str) -> str:
    """The API state after a session event."""
    if event["event"] == "TransactionFinished":
        reason = (event.get("transaction_finished") or {}).get("reason")
        return "FinishedEVSE" if reason == "Local" else "Finished"
    return STATES.get(event["event"], state)


def _exported(meter: dict[str, Any]) -> float | None:
    export = meter.get("energy_Wh_export")
    return None if export is None else export["total"]


class SessionInfo:
    """What the API knows about the current (or last) session of one EVSE."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.state = "Unknown"
        self.permanent_fault = False
        self.latest_total_w = 0.0
        self.source = {"source": "Unspecified", "state": "Enabled", "priority": 0}
        self._import = [0, 0]  # Wh at the start and at the latest reading
        self._export: list[int | None] = [None, None]
        self._time = [now(), now()]
        self.countdown: dict[str, Any] = {"countdown_s": 0}

    def on_event(self, event: dict[str, Any]) -> None:
        self.state = state_after(event, self.state)
        source = event.get("source")
        if source is not None:
            self.source = {"source": source["enable_source"], "state": source["enable_state"],
                           "priority": source["enable_priority"]}
        if event["event"] == "TransactionStarted":
            meter = event["transaction_started"]["meter_value"]
            self._import = [int(meter["energy_Wh_import"]["total"])] * 2
            exported = _exported(meter)
            self._export = [None if exported is None else int(exported)] * 2
            self._time = [self._now()] * 2
        elif event["event"] == "TransactionFinished":
            meter = event["transaction_finished"]["meter_value"]
            self._import[1] = int(meter["energy_Wh_import"]["total"])
            exported = _exported(meter)
            self._export[1] = None if exported is None else int(exported)
            self._time[1] = self._now()

    def on_meter(self, meter: dict[str, Any]) -> None:
        if self.state in METERING:
            self._import[1] = int(meter["energy_Wh_import"]["total"])
            self._time[1] = self._now()
            exported = _exported(meter)
            if exported is not None:
                self._export[1] = int(exported)
        power = meter.get("power_W")
        if power is not None:
            self.latest_total_w = float(power["total"])

    def on_countdown(self, countdown: dict[str, Any]) -> None:
        """The EVSE's ``random_delay`` countdown (uk_random_delay#/CountDown)."""
        self.countdown = countdown

    def to_json(self) -> dict[str, Any]:
        start_export, end_export = self._export
        discharged = 0 if start_export is None or end_export is None else end_export - start_export
        info = {
            "state": self.state,
            "permanent_fault": self.permanent_fault,
            "charged_energy_wh": self._import[1] - self._import[0],
            "discharged_energy_wh": discharged,
            "latest_total_w": self.latest_total_w,
            "charging_duration_s": int(self._time[1] - self._time[0]),
            "datetime": rfc3339(),
            "active_enable_disable_source": dict(self.source),
        }
        countdown = self.countdown
        if countdown["countdown_s"] > 0:  # only while a delay runs
            info["uk_random_delay"] = {
                "remaining_s": countdown["countdown_s"],
                "current_limit_after_delay_A": countdown["current_limit_after_delay_A"],
                "current_limit_during_delay_A": countdown["current_limit_during_delay_A"],
                "start_time": countdown.get("start_time", "")}
        return info
