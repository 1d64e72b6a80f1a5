"""Deciding whether an EVSE charges on three phases or one (EVerest's 1ph/3ph switching).

For each EVSE the decision is EVerest's (BrokerFastCharging), at each distribution:

- ``Never``: no decision here; the phase limits on the path apply as they are (the lowest
  ``ac_max_phase_count`` goes to the EVSE). So a phase limit alone (the API's
  ``set_limit_amps_phases``, an OCPP profile with a number of phases) switches in every mode.
- No power limit on its path, or no minimum current: the most phases its path allows.
- A power limit below ``min current x max phases x voltage`` (4.14 kW at 6 A, 230 V): the
  fewest phases it allows (``ac_min_phase_count``). Above that plus
  ``switch_3ph1ph_power_hysteresis_W`` (and mode ``Both``): the most. In between: the phases
  it uses now (``ac_number_of_active_phases``). Mode ``Oneway`` never goes back up within a
  session once it went down, but starts each session on the most (EVerest's keeps the count
  of the session before).
- Once ``switch_3ph1ph_max_nr_of_switches_per_session`` switches happened (0: no limit), the
  count sticks per ``switch_3ph1ph_switch_limit_stickyness``: ``SinglePhase`` the fewest,
  ``ThreePhase`` the most, ``DontChange`` the present one.
- Going (back) to the most phases needs the fewest to have been unnecessary for
  ``switch_3ph1ph_time_hysteresis_s`` (0: no wait); going down is never delayed.

A session's count and timer start afresh when the EVSE reports ``Unplugged`` or ``Finished``.
Times are on the EnergyManager's monotonic clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pycharge.modules.EnergyManager.tree import Limit, Node, higher, lower

MODES = ("Never", "Oneway", "Both")
STICKYNESS = ("SinglePhase", "ThreePhase", "DontChange")
SESSION_ENDS = frozenset({"Unplugged", "Finished"})


@dataclass(frozen=True)
class PhaseSettings:
    """The ``switch_3ph1ph_*`` config keys."""

    mode: str = "Never"
    max_switches: int = 0
    stickyness: str = "DontChange"
    power_hysteresis_w: float = 200.0
    time_hysteresis_s: float = 600.0


@dataclass
class _Session:
    one_phase_needed_at: float  # the last time the fewest phases were the right choice
    last_active: int | None = None
    switches: int = 0
    went_down: bool = False  # chose the fewest phases for lack of power


class PhaseDecider:
    """Keeps each EVSE's session (switch count, timer) between distributions."""

    def __init__(self, settings: PhaseSettings, nominal_ac_voltage: float, source: str) -> None:
        self.settings = settings
        self.voltage = nominal_ac_voltage
        self.source = source
        self._sessions: dict[str, _Session] = {}

    def decide(self, root: Node, now: float) -> dict[str, Limit]:
        """The phase count each EVSE below ``root`` shall use, with the reason as source;
        nothing in mode ``Never`` (the phase limits on each path then apply as they are)."""
        if self.settings.mode == "Never":
            return {}
        return {path[-1].uuid: self._decide(path, now) for path in root.evse_paths()}

    def _session(self, evse: Node, now: float) -> _Session:
        session = self._sessions.get(evse.uuid)
        if session is None or evse.evse_state in SESSION_ENDS:
            session = _Session(now - self.settings.time_hysteresis_s)
            self._sessions[evse.uuid] = session
        active = evse.limits.active_phases
        if active is not None and session.last_active is not None and active != session.last_active:
            session.switches += 1
        if active is not None:
            session.last_active = active
        return session

    def _decide(self, path: tuple[Node, ...], now: float) -> Limit:
        evse, settings = path[-1], self.settings
        session = self._session(evse, now)
        most = Limit(3, f"{self.source}/fallback")
        fewest = None
        for node in path:
            if node.limits.max_phases is not None and node.limits.max_phases.value >= 1:
                most = lower(most, node.limits.max_phases) or most
            fewest = higher(fewest, node.limits.min_phases)
        least = fewest if fewest is not None and fewest.value <= most.value else most
        active = Limit(evse.limits.active_phases or 3, f"{self.source}/keep_phases")
        power = min((n.limits.max_power.value for n in path if n.limits.max_power), default=math.inf)
        min_current = max((n.limits.min_current.value for n in path if n.limits.min_current),
                          default=0.0)
        if math.isinf(power) or min_current <= 0:
            return most
        min_power_3ph = min_current * most.value * self.voltage
        if power < min_power_3ph:
            choice = least
            session.went_down = session.went_down or least.value < most.value
        elif settings.mode == "Both" and power > min_power_3ph + settings.power_hysteresis_w:
            choice = most
        elif settings.mode == "Oneway" and not session.went_down:
            choice = most  # a new session starts on the most phases again
        else:
            choice = active
        if 0 < settings.max_switches <= session.switches:
            choice = {"SinglePhase": least, "ThreePhase": most}.get(settings.stickyness, active)
        if choice.value == least.value:
            session.one_phase_needed_at = now
        elif (settings.time_hysteresis_s > 0 and choice.value == most.value
              and now - session.one_phase_needed_at < settings.time_hysteresis_s):
            choice = least if active.value == least.value else active
        return Limit(min(choice.value, most.value), choice.source)
