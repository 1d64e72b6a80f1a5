"""The CarSimulator module on a real mosquitto, driven over EVerest's carsim topics.

The test plays the EVSE itself through the simulated HAL (the driver is not needed here): it
puts PWM on CP and closes relay 1, as CbTarragonDriver would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manager import Manager
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.simulation import Simulation
from tests.conftest import Mosquitto
from tests.simulation.conftest import Evse
from tests.support.probe import Probe
from tests.support.stack import write_config

STAND_IN = Path(__file__).parent / "stand_in"


@contextmanager
def simulated(path: Path, mosquitto: Mosquitto) -> Iterator[Simulation]:
    """What ``pycharge run --sim`` does, in this process."""
    catalog = ModuleCatalog([STAND_IN])
    definitions = Definitions.load([STAND_IN])
    config = config_loader.load(path, catalog, definitions)
    sim = Simulation.for_config(config, catalog)
    manager = Manager(config, catalog, definitions, mosquitto.address, clock=sim.clock,
                      hal=sim.hal, extra_modules=sim.extra_modules)
    manager.start(ready_timeout=15)
    try:
        yield sim
    finally:
        manager.stop()
        sim.close()


def prefixes(path: Path) -> tuple[str, str]:
    settings = yaml.safe_load(path.read_text())["settings"]
    return settings["mqtt_everest_prefix"] + "/", settings["mqtt_external_prefix"]


def board_where(probe: Probe, topic: str, check: Any, since: int = 0) -> dict:
    """Wait for a board publication (the ``since``-th message or later) satisfying ``check``."""
    def found(messages: list) -> dict | None:
        for t, payload in reversed(messages[since:]):
            if t == topic and check(state := json.loads(payload)):
                return state
        return None
    return probe.wait_for(found)


def test_a_session_driven_over_the_carsim_topics(tmp_path: Path, mosquitto: Mosquitto,
                                                 probe: Probe) -> None:
    path = write_config(tmp_path, {"active_modules": {
        "connector": {"module": "EvseManager", "config_module": {"connector_id": 2}}}})
    everest, external = prefixes(path)
    board_topic = f"{external}pycharge/sim/2/board"
    carsim = f"{external}everest_external/nodered/2/carsim/"
    probe.subscribe(f"{external}#")
    probe.subscribe(f"{everest}modules/car_simulator/impl/main/var/enabled")
    with simulated(path, mosquitto) as sim:
        board_where(probe, board_topic, lambda s: s["car"]["state"] == "A")
        probe.publish(carsim + "cmd/execute_charging_session",
                      "sleep 0.2;iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 600;unplug")
        board_where(probe, board_topic, lambda s: s["car"]["state"] == "B")

        evse = Evse(sim.hal)
        evse.drive(26.67)
        board_where(probe, board_topic, lambda s: s["car"]["state"] == "C")
        sim.hal.gpio_output("RELAY_1_ENABLE").write(True)
        state = board_where(probe, board_topic, lambda s: s["meter"]["current_A"] == [16, 16, 16])
        assert state["relays"]["1"]["contact"] and state["cp"]["output"] == 26.67
        meter = probe.wait_for(lambda m: [json.loads(p) for t, p in m if t == f"{external}test/meter"
                                          and json.loads(p)["energy_Wh_import"]["total"] > 0])
        assert meter[-1]["current_A"]["L1"] == 16  # reached the EvseManager's meter requirement

        probe.publish(carsim + "error", {"error_type": "DiodeFault", "raise": "true"})
        board_where(probe, board_topic, lambda s: s["faults"] == ["diode_short"])
        probe.publish(carsim + "error", {"error_type": "RelayWelded", "raise": "true"})
        board_where(probe, board_topic, lambda s: s["relays"]["1"]["welded"])
        probe.publish(carsim + "error", {"error_type": "DiodeFault", "raise": "false"})
        probe.publish(carsim + "error", "not json")  # ignored, logged
        probe.publish(carsim + "error", {"error_type": "RCMTrip", "raise": "true"})
        board_where(probe, board_topic, lambda s: s["rcm"]["tripped"]
                    and s["faults"] == ["rcm_trip", "relay1_welded"])

        unplugged_from = len(probe.messages)  # the board showed A at the start too
        probe.publish(carsim + "cmd/modify_charging_session", "unplug")
        board_where(probe, board_topic, lambda s: s["car"]["state"] == "A", since=unplugged_from)
        assert sim.board.log.first("car", "state", "C").time < sim.board.log.last(
            "car", "state", "A").time

        probe.publish(carsim + "cmd/enable", "false")
        probe.wait_for(lambda m: any(json.loads(p) == {"data": False} for t, p in m
                                     if t.endswith("var/enabled")))


def test_pycharge_run_sim_runs_the_car(tmp_path: Path, mosquitto: Mosquitto, probe: Probe
                                       ) -> None:
    path = write_config(tmp_path, {"active_modules": {"car": {
        "module": "CarSimulator", "config_module": {"auto_exec": True,
                                                    "auto_exec_commands": "plugin;sleep 600"}}}})
    _, external = prefixes(path)
    probe.subscribe(f"{external}pycharge/sim/1/board")
    process = subprocess.Popen([sys.executable, "-m", "pycharge", "run", "--sim", str(path),
                                "--broker", f"127.0.0.1:{mosquitto.port}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        board_where(probe, f"{external}pycharge/sim/1/board", lambda s: s["car"]["state"] == "B")
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output


def test_refuses_to_run_without_the_simulated_board(tmp_path: Path, mosquitto: Mosquitto) -> None:
    path = write_config(tmp_path, {"active_modules": {"car": {"module": "CarSimulator"}}})
    catalog = ModuleCatalog()
    definitions = Definitions.load()
    config = config_loader.load(path, catalog, definitions)
    manager = Manager(config, catalog, definitions, mosquitto.address, hal=None)
    manager.start(ready_timeout=1)
    try:
        manager.supervise_once()
        status = manager.status()["car"]
        assert not status["ready"] and not status["running"]
    finally:
        manager.stop()


def active_types(probe: Probe, topic: str) -> list[str]:
    """The error types the latest message on an error topic lists as active."""
    payloads = probe.payloads(topic)
    return [e["type"] for e in payloads[-1]["active"]] if payloads else []


def test_errors_without_a_physical_fault_are_raised_on_the_bus(tmp_path: Path,
                                                               mosquitto: Mosquitto,
                                                               probe: Probe) -> None:
    """As YetiSimulator: raised with its message and cleared again, here by the car simulator;
    a meter with a communication fault also stops publishing."""
    path = write_config(tmp_path, {"active_modules": {
        "connector": {"module": "EvseManager", "config_module": {"connector_id": 1}}}})
    everest, external = prefixes(path)
    impl = f"{everest}modules/car_simulator/impl/"
    stop = impl + "main/error/evse_board_support/MREC8EmergencyStop"
    selftest = impl + "main/error/ac_rcd/Selftest"
    meter_fault = impl + "powermeter/error/generic/CommunicationFault"
    meter = f"{external}test/meter"  # what the stand-in EvseManager forwards
    probe.subscribe(impl + "+/error/#")
    probe.subscribe(meter)
    carsim = f"{external}everest_external/nodered/1/carsim/error"
    with simulated(path, mosquitto) as sim:
        probe.wait_for(lambda _m: probe.payloads(meter))
        probe.publish(carsim, {"error_type": "MREC8EmergencyStop", "raise": "true"})
        probe.publish(carsim, {"error_type": "ac_rcd_Selftest", "raise": "true"})
        probe.wait_for(lambda _m: active_types(probe, selftest) == ["ac_rcd/Selftest"])
        raised = probe.payloads(stop)[-1]["active"][0]
        assert (raised["type"], raised["message"], raised["severity"]) == (
            "evse_board_support/MREC8EmergencyStop", "Simulated fault event", "High")
        assert raised["origin"]["module_id"] == "car_simulator"
        assert sim.board.faults() == []  # nothing physical behind it

        probe.publish(carsim, {"error_type": "MREC8EmergencyStop", "raise": "false"})
        probe.wait_for(lambda _m: active_types(probe, stop) == [])
        assert probe.payloads(stop)[-1]["cleared"][0]["state"] == "ClearedByModule"
        assert active_types(probe, selftest) == ["ac_rcd/Selftest"]

        probe.publish(carsim, {"error_type": "powermeter/CommunicationFault", "raise": "true"})
        probe.wait_for(lambda _m: active_types(probe, meter_fault) == ["generic/CommunicationFault"])
        silent_from = len(probe.payloads(meter))
        sim.clock.sleep(2.5)  # the meter publishes every second when it can
        assert len(probe.payloads(meter)) == silent_from
        probe.publish(carsim, {"error_type": "powermeter/CommunicationFault", "raise": "false"})
        probe.wait_for(lambda _m: active_types(probe, meter_fault) == [])
        probe.wait_for(lambda _m: len(probe.payloads(meter)) > silent_from)


def test_ev_info_carries_the_soc(tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> None:
    """set_soc, then charging: EvManager's ev_info on the ev_manager implementation."""
    path = write_config(tmp_path, {"active_modules": {"car_simulator": {
        "module": "CarSimulator", "config_module": {"soc": 20, "dc_energy_capacity": 1000}}}})
    everest, external = prefixes(path)
    ev_info = f"{everest}modules/car_simulator/impl/ev_manager/var/ev_info"
    enabled = f"{everest}modules/car_simulator/impl/main/var/enabled"
    probe.subscribe(ev_info)
    probe.subscribe(enabled)
    with simulated(path, mosquitto) as sim:
        probe.wait_for(lambda _m: {"data": True} in probe.payloads(enabled))
        probe.publish(f"{external}everest_external/nodered/1/carsim/cmd/execute_charging_session",
                      "plugin;sleep 0.5;set_soc 80;draw_power_fixed 16,3;sleep 600")
        infos = lambda: [p["data"] for p in probe.payloads(ev_info)]  # noqa: E731
        probe.wait_for(lambda _m: infos() and infos()[0]["soc"] == 20)
        assert infos()[0] == {"soc": 20, "battery_capacity": 1000, "battery_full_soc": 100}
        probe.wait_for(lambda _m: infos()[-1]["soc"] == 80 and "target_current" in infos()[-1])
        Evse(sim.hal).drive(26.67)
        sim.hal.gpio_output("RELAY_1_ENABLE").write(True)  # 11 kW into 1 kWh: 1 % in 0.33 s
        probe.wait_for(lambda _m: infos()[-1]["soc"] > 81)
        assert infos()[-1]["target_current"] == 16
