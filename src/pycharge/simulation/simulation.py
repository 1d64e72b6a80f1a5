"""``pycharge run --sim``: the simulated board, its HAL and clock, and the simulated car module.

The car simulator is added to the configuration unless it already has one (then that one's
settings are used); its connector id is the first EvseManager's. Its simulated meter is
connected as ``powermeter_grid_side`` to every EvseManager that has none, so sessions report
energy. CbSystem modules run the system's programs (rauc, reboot, timedatectl) simulated and keep
their files in a temporary folder instead of /srv and /var/lib. The board's relays are wired to
the supply as the board driver's ``switch_3ph1ph_wiring`` says.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pycharge.runtime.clock import SimClock
from pycharge.runtime.config import Config, Fulfillment, ModuleConfig
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.simulation.board import Board
from pycharge.simulation.hal import SimHal

CAR_MODULE = "CarSimulator"
BOARD_DRIVER = "CbTarragonDriver"
CAR_MODULE_ID = "car_simulator"
METER_IMPL = "powermeter"
METER_REQUIREMENT = "powermeter_grid_side"


def simulated_car(config: Config, catalog: ModuleCatalog) -> tuple[ModuleConfig, bool]:
    """The config's CarSimulator, or a new one with manifest defaults; True if it is new."""
    for module in config.modules.values():
        if module.name == CAR_MODULE:
            return module, False
    manifest = catalog.manifest(CAR_MODULE)
    evse_managers = sorted((m for m in config.modules.values() if m.name == "EvseManager"),
                           key=lambda m: m.id)
    values = {key: spec["default"] for key, spec in manifest.config.items() if "default" in spec}
    if evse_managers:
        values["connector_id"] = evse_managers[0].config.get("connector_id", 1)
    module_id = CAR_MODULE_ID
    while module_id in config.modules:
        module_id += "_"
    implementations = {impl: {key: spec["default"] for key, spec in provision.config.items()
                              if "default" in spec}
                       for impl, provision in manifest.provides.items()}
    return ModuleConfig(module_id, CAR_MODULE, manifest, values, implementations), True


def connect_meter(config: Config, car: ModuleConfig) -> list[str]:
    """Connect the simulated meter to each EvseManager without a grid-side meter; their ids."""
    connected = []
    for module in sorted(config.modules.values(), key=lambda m: m.id):
        requirement = module.manifest.requires.get(METER_REQUIREMENT)
        if module.name != "EvseManager" or requirement is None \
                or module.connections.get(METER_REQUIREMENT):
            continue
        module.connections[METER_REQUIREMENT] = [
            Fulfillment(car.id, METER_IMPL, requirement.interface)]
        car.required_by.setdefault(METER_IMPL, []).append((module.id, METER_REQUIREMENT))
        connected.append(module.id)
    return connected


def simulate_system(config: Config) -> None:
    """Make CbSystem modules record rauc/reboot/timedatectl calls instead of running them."""
    for module in config.modules.values():
        if module.name != "CbSystem":
            continue
        module.config = dict(module.config, simulate_system_commands=True)
        root = tempfile.mkdtemp(prefix=f"pycharge-sim-{module.id}-")
        for key in ("download_dir", "state_dir", "log_dir"):
            if module.config.get(key) == module.manifest.config[key].get("default"):
                folder = Path(root, key.removesuffix("_dir"))
                folder.mkdir()
                module.config[key] = str(folder)


def phase_wiring(config: Config) -> str:
    """The board's relays are wired to the supply as the first board driver says."""
    drivers = sorted((m for m in config.modules.values() if m.name == BOARD_DRIVER),
                     key=lambda m: m.id)
    return str(drivers[0].config.get("switch_3ph1ph_wiring", "none")) if drivers else "none"


def prepare(config: Config, catalog: ModuleCatalog) -> tuple[ModuleConfig, bool]:
    """Adapt ``config`` to the simulated board; return the car module and whether it is new."""
    car, new = simulated_car(config, catalog)
    connect_meter(config, car)
    simulate_system(config)
    return car, new


class Simulation:
    """What the CLI needs to run a configuration on the simulated board."""

    def __init__(self, clock: SimClock, board: Board, extra_modules: list[ModuleConfig]) -> None:
        self.clock = clock
        self.board = board
        self.hal = SimHal(board)
        self.extra_modules = extra_modules

    @classmethod
    def for_config(cls, config: Config, catalog: ModuleCatalog) -> Simulation:
        car, new = prepare(config, catalog)
        settings = car.config
        clock = SimClock()
        board = Board(clock, cable_ohm=float(settings["pp_resistor_ohm"]),
                      max_current_a=float(settings["max_current"]),
                      three_phases=bool(settings["three_phases"]),
                      nominal_voltage_v=float(settings["ac_nominal_voltage"]),
                      noise_counts=float(settings["adc_noise_counts"]),
                      seed=int(settings["noise_seed"]), phase_wiring=phase_wiring(config))
        return cls(clock, board, [car] if new else [])

    def close(self) -> None:
        """Release every line and channel still held (the board is switched off)."""
        self.hal.release_all()
