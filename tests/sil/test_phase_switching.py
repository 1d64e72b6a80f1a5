"""1-phase and 3-phase charging on the simulated board, switched while charging (issue 16).

bsp-only.yaml with the board's two relays wired ``serial`` (relay 1 N+L1, relay 2 L2+L3, the
simulated board wired the same way) and EvseManager's defaults for switching (10 s in X1). The
phase count comes from the API's ``set_limit_amps_phases`` through the EnergyNode and the
EnergyManager, as an HMI or a script would set it. The CP and relay sequence is read from the
board's event log.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Mosquitto
from tests.sil import iec61851 as iec
from tests.sil.stack import BSP, Sil, bsp_only, sil_stack
from tests.sil.test_sessions import check_sequencing

SWITCH_DELAY_S = 10.0  # EvseManager's switch_3ph1ph_delay_s default (EVerest's)
ONE_PHASE, THREE_PHASES = (16.0, 0.0, 0.0), (16.0, 16.0, 16.0)
DUTY_16A = 26.6667


def wait_phases(sil: Sil, phases: int) -> None:
    """Wait until the EvseManager says it has ``phases`` (its ``limits`` via the API)."""
    topic = sil.api_prefix + "var/limits"
    sil.probe.wait_for(lambda _m: any(p.get("nr_of_phases_available") == phases
                                      for p in sil.probe.payloads(topic)[-2:]), 15)


def wait_currents(sil: Sil, currents: tuple[float, float, float], since: float) -> float:
    event = sil.wait_log("meter", "current_A", lambda value: all(
        abs(a - b) < 0.01 for a, b in zip(value, currents, strict=True)), since,
        f"{currents} A on L1..L3", timeout=30)
    return event.time


def check_phase_relay_only_switched_open(sil: Sil) -> None:
    """Relay 2 (L2+L3) never switches while relay 1's contact carries L1 (never under load)."""
    changes = sil.log.events("relay2", "coil")
    assert changes, "relay 2 never switched: three phases were not used"
    for change in changes:
        assert not iec.value_at(sil.log, "relay1", "contact", change.time - 1e-9), \
            f"relay 2 switched at {change.time} s with relay 1 closed"


def test_16_a_on_one_phase_then_on_three(tmp_path: Path, mosquitto: Mosquitto) -> None:
    config = bsp_only()
    config["active_modules"][BSP]["config_module"].update(
        switch_3ph1ph_wiring="serial", relay_2_name="R2/S2")
    with sil_stack(tmp_path, mosquitto, config) as sil:
        assert sil.board.phase_wiring == "serial"
        wait_phases(sil, 3)
        sil.api("set_limit_amps_phases", {"amps": 16, "phases": 1})
        wait_phases(sil, 1)  # told to the board before the car comes: the relays are open

        mark = sil.plug_in_and_charge()
        one_phase_at = wait_currents(sil, ONE_PHASE, since=0.0)
        assert sil.log.events("relay2", "coil") == [], "one phase: relay 1 only"
        sil.hold(1.0)
        assert sil.board.meter.currents_a == ONE_PHASE

        since = sil.now()
        sil.api("set_limit_amps_phases", {"amps": 16, "phases": 3})
        sil.wait_events("SwitchingPhases", "PrepareCharging", "ChargingStarted", since=mark,
                        timeout=30)
        three_at = wait_currents(sil, THREE_PHASES, since=since)
        wait_phases(sil, 3)
        sil.hold(1.0)
        assert sil.board.meter.currents_a == THREE_PHASES

        # the sequence: relays open, then X1; the car leaves C; the pause; PWM; relays close
        opened = sil.log.first("relay1", "coil", False, since=one_phase_at)
        x1 = sil.log.first("cp", "output", 100.0, since=one_phase_at)
        car_b = sil.log.first("car", "state", "B", since=one_phase_at)
        pwm = sil.wait_duty(DUTY_16A, since=x1.time)
        relay2 = sil.log.first("relay2", "coil", True)
        relay1 = sil.log.first("relay1", "coil", True, since=x1.time)
        assert opened.time <= x1.time <= car_b.time, "relays open before the pilot goes to X1"
        assert pwm.time - x1.time >= SWITCH_DELAY_S, "the car had its pause in X1"
        assert [e.value for e in sil.log.events("cp", "output", since=x1.time)
                if e.time < pwm.time] == [100.0], "X1 throughout the pause"
        assert pwm.time <= relay2.time <= relay1.time <= three_at, "serial: relay 2, then 1"
        assert sil.log.first("car", "state", "C", since=pwm.time).time <= relay1.time
        check_phase_relay_only_switched_open(sil)

        sil.car_modify("pause;sleep 1.5;unplug")
        sil.wait_events("SessionFinished", since=mark)
        assert sil.names(mark).count("SwitchingPhases") == 1
        assert sil.active_errors() == []
        check_sequencing(sil)
