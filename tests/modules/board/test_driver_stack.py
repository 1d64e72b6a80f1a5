"""The board modules on the simulated board, through a config, over a real mosquitto.

A test module (``modules/BspUser``) stands in for EvseManager: it calls the driver's commands
and records its variables and errors. Reaction times come from the simulation's event log, on
the simulated clock, which only the driver's own CP sampling advances.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pycharge.modules.CbTarragonDriver.control_pilot import MEASUREMENT_S
from pycharge.modules.CbTarragonDriver.cp_signal import CpVerdict, E
from pycharge.modules.CbTarragonDriver.sampler import CLOSED_SAMPLE_PERIOD_S
from pycharge.runtime.clock import SimClock
from pycharge.runtime.manager import Manager
from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal
from tests.support.stack import running, write_config

MODULES = Path(__file__).parent / "modules"
DUTY_16A = 26.7
# Relays closed: a fall of the CP (a short, a diode fault) can land just after a peak-detector
# reset was released: that sample still holds the old peak, the next one, a charging period
# later, sees the change, the one after it (at once) confirms it and opens.
REACTION_LIMIT_S = 2 * CLOSED_SAMPLE_PERIOD_S + MEASUREMENT_S + 1e-6
PILOT_FAULT = "evse_board_support/MREC14PilotFault"


@dataclass
class Stack:
    manager: Manager
    board: Board
    user: Any

    def wait_event(self, event: str, after: int = 0) -> None:
        self.user.wait(lambda: event in self.user.events[after:])

    def charge(self, relay: int = 1) -> None:
        """Enable, plug in, PWM, car requests power, power allowed and confirmed."""
        self.user.call("enable", value=True)
        self.wait_event("A")
        self.board.set_car_state("B")
        self.wait_event("B")
        self.user.call("pwm_on", value=DUTY_16A)
        self.board.set_car_state("C")
        self.wait_event("C")
        self.user.call("allow_power_on", value={"allow_power_on": True,
                                                "reason": "FullPowerCharging"})
        self.wait_event("PowerOn")
        assert self.board.relays[relay].contact

    def reaction(self, subject: str, change: str, value: Any) -> float:
        """Simulated seconds from a logged change to relay 1's coil going off."""
        cause = self.board.log.last(subject, change, value)
        opened = self.board.log.wait_for("relay1", "coil", False, since=cause.time)
        return opened.time - cause.time

    def error_active(self, error_type: str, sub_type: str = "") -> bool:
        return (error_type, sub_type) in self.user.active


@contextmanager
def stack(tmp_path: Path, mosquitto: Any, plug_lock: bool = False,
          **driver_config: Any) -> Iterator[Stack]:
    clock = SimClock()
    board = Board(clock)
    config: dict[str, Any] = {"active_modules": {
        "bsp": {"module": "CbTarragonDriver",
                "config_module": {"contactor_1_feedback_type": "no", **driver_config}},
        "dig_in_ref": {"module": "CbTarragonDIs"},
        "evse": {"module": "BspUser", "connections": {
            "bsp": [{"module_id": "bsp", "implementation_id": "evse_board_support"}]}},
    }}
    if plug_lock:
        config["active_modules"]["lock"] = {"module": "CbTarragonPlugLock"}
        config["active_modules"]["evse"]["connections"]["connector_lock"] = [
            {"module_id": "lock", "implementation_id": "connector_lock"}]
    path = write_config(tmp_path, config)
    with running(path, mosquitto.address, [MODULES], hal=SimHal(board), clock=clock) as manager:
        user = manager.host("evse").module
        user.wait(lambda: user.capabilities)
        yield Stack(manager, board, user)


def test_capabilities_and_state_sequence_a_b_c(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto) as s:
        caps = s.user.capabilities[0]
        assert caps["connector_type"] == "IEC62196Type2Socket"
        assert (caps["max_phase_count_import"], caps["min_phase_count_import"]) == (3, 3)
        assert caps["supports_cp_state_E"] is True
        assert s.user.events == [], "nothing is published before enable(true)"
        reference = s.board.pwm_state[("2084000.pwm", 0)]
        assert reference == {"period": 40000, "duty_cycle": 20000, "enable": 1}  # CbTarragonDIs
        s.charge()
        assert [e for e in s.user.events if e in "ABCDEF"] == ["A", "B", "C"]
        s.user.wait(lambda: "A_32" in s.user.ampacity)  # the simulated cable has 220 ohm
        # "None" first when a PP sample fell between enable(true) and the plug going in
        assert s.user.ampacity in (["A_32"], ["None", "A_32"])


def test_relays_close_only_when_allowed_and_in_c(tmp_path: Path, mosquitto: Any) -> None:
    allow = {"allow_power_on": True, "reason": "FullPowerCharging"}
    with stack(tmp_path, mosquitto) as s:
        s.user.call("enable", value=True)
        s.wait_event("A")
        s.user.call("allow_power_on", value=allow)  # refused: no car
        s.board.set_car_state("B")
        s.wait_event("B")
        s.user.call("pwm_on", value=DUTY_16A)
        s.user.call("allow_power_on", value=allow)  # refused: car in B
        s.board.set_car_state("C")
        s.wait_event("C")
        s.user.call("cp_state_X1")  # a round trip: C has been handled by the driver
        assert s.board.log.events("relay1", "coil") == []
        s.user.call("pwm_on", value=DUTY_16A)
        s.user.call("allow_power_on", value=allow)
        s.wait_event("PowerOn")
        closed = s.board.log.first("relay1", "coil", True)
        assert s.board.log.first("relay1", "contact", True).time >= closed.time


@pytest.mark.parametrize("car_state", ["B", "A"])
def test_relays_open_by_themselves_when_the_car_leaves_c(tmp_path: Path, mosquitto: Any,
                                                         car_state: str) -> None:
    with stack(tmp_path, mosquitto) as s:
        s.charge()
        after = len(s.user.events)
        s.board.set_car_state(car_state)
        assert s.reaction("car", "state", car_state) <= REACTION_LIMIT_S
        s.wait_event("PowerOff", after)
        s.wait_event(car_state, after)


def test_relays_open_on_state_f(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto) as s:
        s.charge()
        s.user.call("cp_state_F")
        assert s.reaction("pwm 20fc000.pwm/0", "duty_cycle", 0) <= REACTION_LIMIT_S
        s.wait_event("F")


def test_relays_open_on_state_e_cp_short(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto) as s:
        s.charge()
        s.board.set_fault("cp_short", True)
        assert s.reaction("fault", "cp_short", True) <= REACTION_LIMIT_S
        s.user.wait(lambda: s.error_active(PILOT_FAULT, "CPShortFault"))
        s.wait_event("E")
        s.board.set_fault("cp_short", False)
        s.user.wait(lambda: not s.error_active(PILOT_FAULT, "CPShortFault"))


def test_rcm_trip(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto, rcm_enable=True) as s:
        s.charge()
        s.board.set_fault("rcm_trip", True)
        assert s.reaction("fault", "rcm_trip", True) <= CLOSED_SAMPLE_PERIOD_S + 1e-6
        s.user.wait(lambda: s.error_active("ac_rcd/MREC2GroundFailure"))
        s.wait_event("PowerOff")
        s.board.set_fault("rcm_trip", False)
        s.user.wait(lambda: not s.error_active("ac_rcd/MREC2GroundFailure"))


def test_diode_fault(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto) as s:
        s.charge()
        s.board.set_fault("diode_short", True)
        assert s.reaction("fault", "diode_short", True) <= REACTION_LIMIT_S
        s.user.wait(lambda: s.error_active("evse_board_support/DiodeFault"))
        s.board.set_fault("diode_short", False)
        s.board.set_car_state("A")
        s.user.wait(lambda: not s.error_active("evse_board_support/DiodeFault"))


def test_welded_relay(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto) as s:
        s.charge()
        s.board.set_fault("relay1_welded", True)
        s.board.set_car_state("B")
        s.user.wait(lambda: s.error_active("evse_board_support/MREC17EVSEContactorFault"))
        fault = s.user.active[("evse_board_support/MREC17EVSEContactorFault", "")]
        assert fault.message == "Failed to OPEN the Contactor@R1/S1, it is still CLOSED"
        assert "PowerOff" not in s.user.events
        s.board.set_car_state("A")
        s.wait_event("A")
        s.board.set_car_state("C")
        s.wait_event("C")
        s.user.call("allow_power_on", value={"allow_power_on": True,
                                             "reason": "FullPowerCharging"})
        s.user.call("cp_state_X1")
        assert len(s.board.log.events("relay1", "coil", True)) == 1, "never closed again"
        assert s.error_active("evse_board_support/MREC17EVSEContactorFault")


def test_heartbeat_loss_opens_the_relays(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto, heartbeat_timeout_ms=1500) as s:
        s.charge()
        hung_at = s.board.clock.monotonic()
        s.user.hang(3.0)
        opened = s.board.log.wait_for("relay1", "coil", False).time
        # the last heartbeat came at most 1 s (its period) before the hang began
        assert 1.5 - 1.0 <= opened - hung_at <= 1.5 + CLOSED_SAMPLE_PERIOD_S + MEASUREMENT_S
        assert s.board.car.state == "C", "opened by the driver, not because the car left"
        s.wait_event("PowerOff")


def test_enable_republishes_an_unchanged_state(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto) as s:
        s.user.call("enable", value=True)
        s.wait_event("A")
        s.user.call("enable", value=True)
        s.user.wait(lambda: s.user.events.count("A") == 2)
        s.user.call("cp_state_X1")  # a round trip to the driver: no third A meanwhile
        assert s.user.events == ["A", "A"]


def test_a_measurement_from_before_enable_is_not_published(tmp_path: Path,
                                                            mosquitto: Any) -> None:
    """The sampler measured the undriven line (E) just before enable(true) drove it and handed
    the verdict over just after: that E is the board's own silence, and EvseManager must not
    hear it as the first state of the session."""
    with stack(tmp_path, mosquitto) as s:
        driver = s.manager.host("bsp").module
        s.user.call("enable", value=True)
        s.wait_event("A")
        undriven = CpVerdict(E, short=False, diode=False, out_of_range=False,
                             ventilation=False, driven=False)
        driver.submit(driver.on_cp_verdict, undriven, False)  # as the sampler's listener does
        s.board.set_car_state("B")
        s.wait_event("B")
        assert s.user.events == ["A", "B"]


def test_one_phase_request_with_serial_wiring(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto, switch_3ph1ph_wiring="serial",
               contactor_2_feedback_type="no") as s:
        caps = s.user.capabilities[0]
        assert (caps["min_phase_count_import"], caps["max_phase_count_import"]) == (1, 3)
        s.user.call("ac_switch_three_phases_while_charging", value=False)
        s.charge()
        assert s.board.log.events("relay2", "coil") == []


def test_one_phase_grid_input(tmp_path: Path, mosquitto: Any) -> None:
    # ROTARY_SWITCH_1_8_N idles high: active low, it reads inactive = one-phase grid
    with stack(tmp_path, mosquitto, switch_3ph1ph_wiring="mutual", contactor_2_feedback_type="no",
               grid_phase_count_gpio_line_name="ROTARY_SWITCH_1_8_N",
               grid_phase_count_active_low=True) as s:
        caps = s.user.capabilities[0]
        assert (caps["min_phase_count_import"], caps["max_phase_count_import"]) == (1, 1)
        assert caps["supports_changing_phases_during_charging"] is False
        s.charge(relay=2)  # mutual wiring, one phase: the one-phase contactor on relay 2
        assert s.board.log.events("relay1", "coil") == []


def test_shutdown_leaves_the_board_safe(tmp_path: Path, mosquitto: Any) -> None:
    with stack(tmp_path, mosquitto) as s:
        s.charge()
        board = s.board
    assert not board.relays[1].coil
    assert board.cp_output() == "off"
    assert board.pwm_state[("20fc000.pwm", 0)]["enable"] == 0


def test_safe_state_when_the_driver_dies(tmp_path: Path, mosquitto: Any) -> None:
    def fail() -> None:
        raise RuntimeError("injected failure")

    with stack(tmp_path, mosquitto) as s:
        s.charge()
        published = len(s.user.capabilities)
        s.manager.host("bsp").module.submit(fail)
        s.board.log.wait_for("relay1", "coil", False)
        s.user.wait(lambda: s.error_active("runtime/ModuleFault"))
        assert s.board.cp_output() == "off"
        assert s.board.pwm_state[("20fc000.pwm", 0)]["enable"] == 0
        # the next instance gets the hardware back (the failed one released it) and is ready
        s.user.wait(lambda: len(s.user.capabilities) > published, timeout=15)
        s.user.wait(lambda: not s.error_active("runtime/ModuleFault"))
        assert not s.board.relays[1].coil


def test_bus_reconnect_republishes_the_state(tmp_path: Path, private_mosquitto: Any) -> None:
    with stack(tmp_path, private_mosquitto) as s:
        s.charge()
        after = len(s.user.events)
        private_mosquitto.stop()
        private_mosquitto.start()
        s.user.wait(lambda: "C" in s.user.events[after:], timeout=20)
        assert s.board.relays[1].coil, "a bus outage alone does not open the relays"


def test_plug_lock_module_over_the_bus(tmp_path: Path, mosquitto: Any) -> None:
    # The simulated lock is jammed, so it never travels; the module must notice that.
    with stack(tmp_path, mosquitto, plug_lock=True) as s:
        s.board.set_fault("lock_jammed", True)
        s.board.log.wait_for("lock", "motor", "brake")  # the start-up unlock (already unlocked)
        assert s.board.log.first("lock", "motor", "forward") is not None
        s.user.call("lock", requirement="connector_lock")
        # 30 s: the lock's steps take simulated seconds, and on the emulated ARM the simulated
        # clock runs several times slower than the wall clock.
        s.user.wait(lambda: s.error_active("connector_lock/ConnectorLockFailedLock"), timeout=30)
        backward = s.board.log.first("lock", "motor", "backward")
        brake = s.board.log.last("lock", "motor", "brake")
        assert brake.time - backward.time == pytest.approx(0.6, abs=0.05)
        s.board.set_fault("lock_jammed", False)
        s.user.call("unlock", requirement="connector_lock")
        s.user.wait(lambda: not s.error_active("connector_lock/ConnectorLockFailedLock"),
                    timeout=30)
