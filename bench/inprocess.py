"""A configuration running in the benchmark's own process (module threads, one MQTT client).

Like ``pycharge run`` (with ``--sim``: the simulated board, its clock and the simulated car),
but the benchmark can reach the module objects and the board model directly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycharge.runtime import config as config_loader
from pycharge.runtime.config import Config
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manager import Manager
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.module import Module
from pycharge.runtime.mqtt import BrokerAddress

SUPERVISION_PERIOD_S = 0.2  # pycharge run's default


@dataclass
class InProcessStack:
    config: Config
    manager: Manager
    simulation: Any  # pycharge.simulation.Simulation with simulate=True, else None

    def module(self, module_id: str) -> Module:
        module = self.manager.host(module_id).module
        if module is None:
            raise RuntimeError(f"module {module_id} is not running")
        return module

    def module_ids(self, name: str) -> list[str]:
        """Ids of the modules of type ``name`` (e.g. EvseManager), including the simulated car."""
        return sorted(m for m, c in self.manager.modules.items() if c.name == name)


@contextmanager
def running(config_path: Path, broker: BrokerAddress, module_dirs: Sequence[Path] = (),
            simulate: bool = False) -> Iterator[InProcessStack]:
    """Validate and start ``config_path``; stop everything (and switch the board off) at exit."""
    catalog = ModuleCatalog(list(module_dirs))
    definitions = Definitions.load(list(module_dirs))
    config = config_loader.load(config_path, catalog, definitions)
    simulation = None
    options = {}
    if simulate:
        from pycharge.simulation import Simulation
        simulation = Simulation.for_config(config, catalog)
        options = {"clock": simulation.clock, "hal": simulation.hal,
                   "extra_modules": simulation.extra_modules}
    manager = Manager(config, catalog, definitions, broker, **options)
    supervisor = threading.Thread(target=manager.run, kwargs={"period": SUPERVISION_PERIOD_S},
                                  name="bench-supervisor", daemon=True)
    try:
        manager.start(ready_timeout=30)
        supervisor.start()
        yield InProcessStack(config, manager, simulation)
    finally:
        manager.stop_requested.set()
        if supervisor.is_alive():
            supervisor.join(15)
        else:
            manager.stop()
        if simulation is not None:
            simulation.close()
