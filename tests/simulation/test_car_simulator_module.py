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
