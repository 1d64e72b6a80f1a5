"""The charger's states, its timing constants and the CP-event tables it is driven by.

Kept apart from ``charger.py`` (the handlers) so the tables can be read, and tested, on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pycharge.modules.EvseManager.iec61851 import CpEvent


class EvseState(str, Enum):
    Disabled = "Disabled"
    Idle = "Idle"
    WaitingForAuthentication = "WaitingForAuthentication"
    PrepareCharging = "PrepareCharging"
    Charging = "Charging"
    ChargingPausedEV = "ChargingPausedEV"
    ChargingPausedEVSE = "ChargingPausedEVSE"
    StoppingCharging = "StoppingCharging"
    Finished = "Finished"
    T_step_EF = "T_step_EF"
    SwitchPhases = "SwitchPhases"


S = EvseState
LEGACY_WAKEUP_S = 30.0  # EV stays in B with PWM on: one wake-up (IEC 61851-1 A.5.3)
PAUSED_BY_EV_AFTER_WAKEUP_S = 10.0
T_STEP_EF_S = 4.0  # state F of the wake-up
X1_AFTER_T_STEP_EF_S = 0.75
STOPPING_TIMEOUT_S = 20.0  # relays still reported on: force them off again
MAX_PASSES = 10
FAST_STATES = frozenset({S.PrepareCharging, S.T_step_EF, S.Charging, S.StoppingCharging,
                         S.SwitchPhases})

# CP event -> (flag, value), whatever the state (a car that went to E requests no power, even
# if an error took the charger out of Charging before the CP event arrived)
FLAG_ON_CP_EVENT: dict[CpEvent, tuple[str, bool]] = {
    CpEvent.CarRequestedStopPower: ("ev_requests_power", False),
    CpEvent.BCDtoE: ("ev_requests_power", False),
    CpEvent.CarUnplugged: ("plugged_in", False),
    CpEvent.PowerOn: ("contactor_open", False), CpEvent.PowerOff: ("contactor_open", True)}
# (state, CP event) -> (new value of "EV requests power" or None, next state or None)
ON_CP_EVENT: dict[tuple[EvseState, CpEvent], tuple[bool | None, EvseState | None]] = {
    (S.Idle, CpEvent.CarPluggedIn): (None, S.WaitingForAuthentication),
    (S.WaitingForAuthentication, CpEvent.CarRequestedPower): (True, None),
    (S.WaitingForAuthentication, CpEvent.CarRequestedStopPower): (False, None),
    (S.PrepareCharging, CpEvent.CarRequestedPower): (True, None),
    (S.PrepareCharging, CpEvent.CarRequestedStopPower): (False, S.ChargingPausedEVSE),
    (S.Charging, CpEvent.CarRequestedStopPower): (False, None),
    (S.ChargingPausedEV, CpEvent.CarRequestedPower): (True, S.PrepareCharging),
}


@dataclass(frozen=True)
class ChargerConfig:  # the config keys the state machine acts on
    state_f_after_fault_ms: int = 300
    raise_mrec9: bool = False
    disable_authentication: bool = False
