"""Simulation.for_config: the car module it adds, the meter it wires, the board it builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycharge.runtime import config as config_loader
from pycharge.runtime.clock import SimClock
from pycharge.runtime.config import Config, Fulfillment
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.simulation import Simulation
from pycharge.simulation.hal import SimHal
from tests.conftest import EXAMPLE_MODULES
from tests.support.stack import write_config

STAND_IN = Path(__file__).parent / "stand_in"


def load(tmp_path: Path, modules: dict[str, Any]) -> tuple[Config, ModuleCatalog]:
    dirs = [STAND_IN, EXAMPLE_MODULES]
    catalog = ModuleCatalog(dirs)
    path = write_config(tmp_path, {"active_modules": modules})
    return config_loader.load(path, catalog, Definitions.load(dirs)), catalog


def test_adds_the_car_for_the_evse_managers_connector_and_wires_the_meter(tmp_path: Path) -> None:
    config, catalog = load(tmp_path, {
        "connector": {"module": "EvseManager", "config_module": {"connector_id": 3}}})
    sim = Simulation.for_config(config, catalog)
    assert isinstance(sim.clock, SimClock) and isinstance(sim.hal, SimHal)
    assert sim.hal.clock is sim.clock and sim.board.clock is sim.clock
    [car] = sim.extra_modules
    assert (car.id, car.name, car.config["connector_id"]) == ("car_simulator", "CarSimulator", 3)
    assert car.config["auto_enable"] is True and car.config["pp_resistor_ohm"] == 220  # defaults
    assert config.modules["connector"].connections["powermeter_grid_side"] == [
        Fulfillment("car_simulator", "powermeter", "powermeter")]
    assert car.required_by["powermeter"] == [("connector", "powermeter_grid_side")]
    sim.close()


def test_uses_a_configured_car_and_keeps_an_existing_meter(tmp_path: Path) -> None:
    config, catalog = load(tmp_path, {
        "my_car": {"module": "CarSimulator",
                   "config_module": {"pp_resistor_ohm": 680, "max_current": 10,
                                     "three_phases": False, "adc_noise_counts": 2.5}},
        "connector": {"module": "EvseManager", "config_module": {"connector_id": 1},
                      "connections": {"powermeter_grid_side": [
                          {"module_id": "my_car", "implementation_id": "powermeter"}]}},
        "second": {"module": "EvseManager", "config_module": {"connector_id": 2}}})
    sim = Simulation.for_config(config, catalog)
    assert sim.extra_modules == []
    assert sim.board.pp.cable_ohm == 680 and sim.board.noise_counts == 2.5
    assert (sim.board.car.requested_a, sim.board.car.phases) == (10, 1)
    assert config.modules["connector"].connections["powermeter_grid_side"] == [
        Fulfillment("my_car", "powermeter", "powermeter")]
    assert config.modules["second"].connections["powermeter_grid_side"] == [
        Fulfillment("my_car", "powermeter", "powermeter")]


def test_the_added_car_avoids_taken_ids(tmp_path: Path) -> None:
    config, catalog = load(tmp_path, {"car_simulator": {"module": "EvseManager",
                                                        "config_module": {"connector_id": 4}}})
    [car] = Simulation.for_config(config, catalog).extra_modules
    assert (car.id, car.config["connector_id"]) == ("car_simulator_", 4)


def test_without_an_evse_manager_the_car_is_on_connector_1(tmp_path: Path) -> None:
    config, catalog = load(tmp_path, {"provider": {"module": "ExampleProvider"}})
    [car] = Simulation.for_config(config, catalog).extra_modules
    assert car.config["connector_id"] == 1
