"""EvseManager on the bus: a real mosquitto, the runtime, and a test-double board.

Proves the wiring: start-up (capabilities, enable), commands to the board, board events to
session events, the energy_grid command, errors of the board and of the runtime.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from pycharge.runtime.manager import Manager
from tests.conftest import Mosquitto
from tests.support.probe import Probe
from tests.support.stack import running, write_config

DOUBLES = Path(__file__).parent / "doubles"
CONFIG = {"active_modules": {
    "bsp": {"module": "FakeBoard"},
    "connector": {
        "module": "EvseManager",
        "mapping": {"module": {"evse": 1}},
        "config_module": {"connector_id": 1, "has_ventilation": False,
                          "disable_authentication": True},
        "connections": {"bsp": [{"module_id": "bsp", "implementation_id": "evse_board_support"}]},
    },
}}
FULL_SESSION = ["SessionStarted", "AuthRequired", "Authorized", "TransactionStarted",
                "PrepareCharging", "ChargingStarted", "StoppingCharging", "ChargingPausedEV",
                "StoppingCharging", "ChargingFinished", "TransactionFinished", "SessionFinished"]


class Stack:
    """The running configuration plus what the probe saw under its prefix."""

    def __init__(self, manager: Manager, probe: Probe, prefix: str) -> None:
        self.manager, self.probe, self.prefix = manager, probe, prefix

    def var(self, module: str, impl: str, name: str) -> list[Any]:
        topic = f"{self.prefix}modules/{module}/impl/{impl}/var/{name}"
        return [p["data"] for p in self.probe.payloads(topic)]

    def events(self) -> list[str]:
        return [e["event"] for e in self.var("connector", "evse", "session_event")]

    def board_commands(self, name: str) -> list[dict[str, Any]]:
        topic = f"{self.prefix}modules/bsp/impl/evse_board_support/cmd/{name}"
        return [p["args"] for p in self.probe.payloads(topic)]

    def wait(self, condition: Any, what: str, timeout: float = 10.0) -> None:
        try:
            self.probe.wait_for(lambda _messages: condition(), timeout)
        except AssertionError:
            raise AssertionError(f"{what}: not within {timeout} s") from None

    def board(self, method: str, *args: Any) -> None:
        """Run a method of the board double on its own thread."""
        module = self.manager.host("bsp").module
        module.submit(getattr(module, method), *args)

    def command(self, impl: str, cmd: str, **args: Any) -> None:
        """Call a command of EvseManager as a raw message on the bus (bus.md)."""
        self.probe.publish(f"{self.prefix}modules/connector/impl/{impl}/cmd/{cmd}",
                           {"id": uuid.uuid4().hex, "origin": "test", "args": args,
                            "deadline": time.monotonic() + 10})

    def enforce_limits(self, ampere: float) -> None:
        """What the EnergyManager sends."""
        self.command("energy_grid", "enforce_limits", value={
            "uuid": "connector", "valid_for": 30, "schedule": [],
            "limits_root_side": {"ac_max_current_A": {"value": ampere, "source": "test"}}})

    def active_errors(self, error_type: str) -> list[dict[str, Any]]:
        topic = f"{self.prefix}modules/connector/impl/evse/error/{error_type}"
        payloads = self.probe.payloads(topic)
        return payloads[-1]["active"] if payloads else []


@contextmanager
def started(tmp_path: Path, mosquitto: Mosquitto, probe: Probe,
            **evse_manager_config: Any) -> Iterator[Stack]:
    config = copy.deepcopy(CONFIG)
    config["active_modules"]["connector"]["config_module"].update(evse_manager_config)
    path = write_config(tmp_path, config)
    prefix = yaml.safe_load(path.read_text())["settings"]["mqtt_everest_prefix"] + "/"
    probe.subscribe(prefix + "#")
    with running(path, mosquitto.address, [DOUBLES]) as manager:
        yield Stack(manager, probe, prefix)


@pytest.fixture
def stack(tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> Iterator[Stack]:
    with started(tmp_path, mosquitto, probe) as stack:
        stack.wait(lambda: True in stack.var("connector", "evse", "ready"), "EvseManager ready")
        yield stack


def test_start_up_publishes_and_enables_the_board(stack: Stack) -> None:
    assert stack.board_commands("enable") == [{"value": True}]
    assert stack.events() == ["Enabled"]
    assert stack.var("connector", "evse", "hw_capabilities")[-1]["max_current_A_import"] == 32.0
    assert stack.var("connector", "evse", "evse_id") == ["DE*PNX*E1234567*1"]
    assert stack.var("connector", "evse", "supported_energy_transfer_modes")[-1] == [
        "AC_three_phase_core"]
    assert stack.var("connector", "evse", "limits")[-1] == {
        "uuid": "connector", "max_current": 0.0, "nr_of_phases_available": 3}
    stack.wait(lambda: stack.var("connector", "energy_grid", "energy_flow_request"),
               "energy_flow_request")
    request = stack.var("connector", "energy_grid", "energy_flow_request")[-1]
    assert request["uuid"] == "connector" and request["evse_state"] == "Unplugged"
    assert request["schedule_import"][0]["limits_to_root"]["ac_max_current_A"]["value"] == 32.0


def test_external_ready_to_start_charging_holds_the_start(tmp_path: Path, mosquitto: Mosquitto,
                                                          probe: Probe) -> None:
    with started(tmp_path, mosquitto, probe, external_ready_to_start_charging=True) as stack:
        stack.wait(lambda: stack.var("connector", "evse", "waiting_for_external_ready") == [True],
                   "waiting for external ready")
        stack.wait(lambda: stack.var("connector", "evse", "hw_capabilities"), "capabilities")
        assert stack.board_commands("enable") == [] and stack.var("connector", "evse", "ready") == []
        stack.command("evse", "external_ready_to_start_charging")
        stack.wait(lambda: stack.var("connector", "evse", "ready") == [True], "ready")
        assert stack.board_commands("enable") == [{"value": True}]


def test_a_full_session_over_the_bus(stack: Stack) -> None:
    stack.enforce_limits(16.0)
    stack.wait(lambda: stack.var("connector", "evse", "limits")[-1]["max_current"] == 16.0,
               "limits 16 A")
    assert stack.var("connector", "evse", "enforced_limits")[-1]["uuid"] == "connector"
    stack.board("set_cp", "B")
    stack.wait(lambda: "PrepareCharging" in stack.events(), "PrepareCharging")
    stack.wait(lambda: stack.board_commands("pwm_on"), "PWM on")
    assert stack.board_commands("pwm_on")[-1]["value"] == pytest.approx(26.6667)
    stack.board("set_cp", "C")
    stack.wait(lambda: {"value": {"allow_power_on": True, "reason": "FullPowerCharging"}}
               in stack.board_commands("allow_power_on"), "power allowed in C")
    stack.board("set_cp", "B")
    stack.wait(lambda: "ChargingPausedEV" in stack.events(), "ChargingPausedEV")
    stack.board("set_cp", "A")
    stack.wait(lambda: "SessionFinished" in stack.events(), "SessionFinished")
    assert stack.events()[1:] == FULL_SESSION
    assert stack.var("connector", "evse", "selected_protocol")[-1] == "Unknown"
    assert "IEC61851-1" in stack.var("connector", "evse", "selected_protocol")


def test_board_error_makes_the_evse_inoperative(stack: Stack) -> None:
    stack.board("set_error", "evse_board_support/MREC14PilotFault", True)
    stack.wait(lambda: stack.active_errors("evse_manager/Inoperative"), "Inoperative raised")
    assert stack.active_errors("evse_manager/Inoperative")[0]["message"] == \
        "evse_board_support/MREC14PilotFault"
    stack.wait(lambda: stack.board_commands("cp_state_F"), "state F while inoperative")
    stack.board("set_error", "evse_board_support/MREC14PilotFault", False)
    stack.wait(lambda: not stack.active_errors("evse_manager/Inoperative"), "Inoperative cleared")


def test_a_dying_board_module_is_fatal_until_it_is_back(stack: Stack) -> None:
    assert len(stack.board_commands("enable")) == 1
    stack.board("submit", lambda: 1 / 0)  # an exception on the board module's thread
    stack.wait(lambda: stack.active_errors("evse_manager/Inoperative"), "Inoperative raised")
    assert stack.active_errors("evse_manager/Inoperative")[0]["message"] == "runtime/ModuleFault"
    stack.wait(lambda: not stack.active_errors("evse_manager/Inoperative"), "Inoperative cleared")
    # the new board instance starts disabled: EvseManager enables it and sends the pilot again
    stack.wait(lambda: len(stack.board_commands("enable")) == 2, "board enabled again")
    assert stack.board_commands("enable")[-1] == {"value": True}
    stack.wait(lambda: stack.board_commands("cp_state_X1"), "pilot sent again")


def test_a_restarted_board_publishes_its_capabilities_again(stack: Stack) -> None:
    stack.board("submit", lambda: 1 / 0)
    stack.wait(lambda: len(stack.var("connector", "evse", "hw_capabilities")) == 2,
               "capabilities of the new board instance", timeout=5.0)


def test_authorization_from_auth(tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> None:
    token = {"id_token": {"value": "DEADBEEF", "type": "ISO14443"}, "authorization_type": "RFID"}
    with started(tmp_path, mosquitto, probe, disable_authentication=False) as stack:
        stack.wait(lambda: True in stack.var("connector", "evse", "ready"), "ready")
        stack.board("set_cp", "B")
        stack.wait(lambda: "AuthRequired" in stack.events(), "AuthRequired")
        stack.command("evse", "authorize_response", provided_token=token,
                      validation_result={"authorization_status": "Blocked", "tariff_messages": []})
        stack.command("evse", "authorize_response", provided_token=token,
                      validation_result={"authorization_status": "Accepted", "tariff_messages": []})
        stack.wait(lambda: "PrepareCharging" in stack.events(), "PrepareCharging")
        assert stack.events() == ["Enabled", "SessionStarted", "AuthRequired", "Authorized",
                                  "TransactionStarted", "PrepareCharging"]
        started_event = stack.var("connector", "evse", "session_event")[-2]
        assert started_event["transaction_started"]["id_tag"] == token
