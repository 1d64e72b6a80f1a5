"""chargebyte's bsp-only.yaml plus what the reliability tests need.

EvseManager's optional ``store`` requirement is connected to a PersistentStore (EVerest's
wiring; the same function builds the soak's configuration), so a restart of the module or of
the whole stack reports the interrupted transaction. Files live in the test's directory.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from bench.soak_stack import EVSE, STORE
from bench.soak_stack import with_store as _with_store

from tests.sil.stack import bsp_only

SYSTEM = "system"
__all__ = ["EVSE", "STORE", "SYSTEM", "with_store", "with_system"]


def with_store(directory: Path, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """``config`` (default bsp-only.yaml) with a PersistentStore as the EvseManager's store."""
    return _with_store(copy.deepcopy(config or bsp_only()), directory)


def with_system(directory: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Add chargebyte's CbSystem with simulated rauc/reboot and its folders in ``directory``
    (fixed paths, so a restarted stack finds the firmware-update marker of the one before)."""
    config = copy.deepcopy(config)
    folders = {key: directory / key for key in ("download", "state", "log")}
    for folder in folders.values():
        folder.mkdir(exist_ok=True)
    config["active_modules"][SYSTEM] = {
        "module": "CbSystem",
        "config_module": {"simulate_system_commands": True,
                          **{f"{key}_dir": str(path) for key, path in folders.items()}},
        "connections": {"evse_manager": [{"module_id": EVSE, "implementation_id": "evse"}]}}
    return config
