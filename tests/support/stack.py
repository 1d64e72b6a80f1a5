"""Running a configuration in the test's own process, against a given broker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manager import Manager
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.mqtt import BrokerAddress


def write_config(directory: Path, config: dict[str, Any], name: str = "config.yaml") -> Path:
    """Write ``config`` with a unique MQTT prefix, so tests can share one broker."""
    config = dict(config)
    settings = dict(config.get("settings") or {})
    unique = uuid.uuid4().hex[:8]
    settings.setdefault("mqtt_everest_prefix", f"everest_{unique}")
    settings.setdefault("mqtt_external_prefix", f"external_{unique}/")
    config["settings"] = settings
    path = directory / name
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def running(path: Path, broker: BrokerAddress, module_dirs: list[Path] = (),
            **manager_options: Any) -> Iterator[Manager]:
    """Start the manager for ``path`` with its supervision loop; stop it at the end."""
    catalog = ModuleCatalog(module_dirs)
    definitions = Definitions.load(module_dirs)
    config = config_loader.load(path, catalog, definitions)
    manager = Manager(config, catalog, definitions, broker, **manager_options)
    manager.start(ready_timeout=15)
    supervisor = threading.Thread(target=manager.run, kwargs={"period": 0.05}, daemon=True)
    supervisor.start()
    try:
        yield manager
    finally:
        manager.stop_requested.set()
        supervisor.join(15)
