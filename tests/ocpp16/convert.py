"""Rewrite an EVerest SIL configuration (the OCPP suite's) into one pycharge runs with --sim.

EVerest's SIL boards and cars become pycharge's: the simulated Charge Control C runs under the
real CbTarragonDriver, and CarSimulator plays EvManager. Everything else is kept as far as
pycharge's manifests know it; each thing dropped is logged with its reason.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pycharge.runtime.manifest import Manifest, ModuleCatalog

log = logging.getLogger("ocpp16.convert")


# EVerest SIL module -> (pycharge module, implementation renames, config it gets)
ALIASES: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "YetiSimulator": ("CbTarragonDriver", {"board_support": "evse_board_support", "rcd": "ac_rcd"},
                      {"contactor_1_feedback_type": "none", "relay_2_name": "none"}),
    "JsYetiSimulator": ("CbTarragonDriver", {"board_support": "evse_board_support", "rcd": "ac_rcd"},
                        {"contactor_1_feedback_type": "none", "relay_2_name": "none"}),
    "EvManager": ("CarSimulator", {}, {}),
    "JsCarSimulator": ("CarSimulator", {}, {}),
    "System": ("CbSystem", {}, {"simulate_system_commands": True}),
}


def convert(everest: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """The pycharge configuration for an EVerest one; workdir holds what CbSystem writes."""
    modules: dict[str, dict[str, Any]] = {}
    renames: dict[str, dict[str, str]] = {}
    manifests: dict[str, Manifest] = {}
    catalog = ModuleCatalog()
    for module_id, original in everest.get("active_modules", {}).items():
        name = original.get("module")
        target, impl_renames, forced = ALIASES.get(name, (name, {}, {}))
        if target not in catalog:
            log.warning("dropping %s (%s): pycharge has no such module", module_id, name)
            continue
        entry = dict(original, module=target)
        config = dict(entry.get("config_module") or {}, **forced)
        if target == "CbSystem":
            for key in ("download_dir", "state_dir", "log_dir"):
                (workdir / key).mkdir(parents=True, exist_ok=True)
                config[key] = str(workdir / key)
        found = catalog.manifest(target)
        for key in sorted(set(config) - set(found.config)):
            log.warning("%s (%s): dropping config key %s, which pycharge's %s does not have",
                        module_id, name, key, target)
            del config[key]
        entry["config_module"] = config
        if target != name:
            entry.pop("config_implementation", None)
        modules[module_id] = entry
        renames[module_id] = impl_renames
        manifests[module_id] = found
    for module_id, entry in modules.items():
        config = entry["config_module"]
        if entry["module"] == "EvseManager" and config.get("external_ready_to_start_charging"):
            log.warning("%s: external_ready_to_start_charging off: no pycharge module sends it", module_id)
            config["external_ready_to_start_charging"] = False
    for module_id, entry in modules.items():
        entry["connections"] = _connections(module_id, entry, manifests, renames)
    settings = dict(everest.get("settings") or {})
    return {"settings": settings, "active_modules": modules}


def _connections(module_id: str, entry: dict[str, Any], manifests: dict[str, Manifest],
                 renames: dict[str, dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """The connections pycharge can make: requirement known, target module and implementation there."""
    requires = manifests[module_id].requires
    kept: dict[str, list[dict[str, str]]] = {}
    for requirement, targets in (entry.get("connections") or {}).items():
        if requirement not in requires:
            log.warning("%s: dropping requirement %s, which pycharge's %s does not have",
                        module_id, requirement, entry["module"])
            continue
        out = []
        for target in targets or []:
            other, impl = target["module_id"], target["implementation_id"]
            other = _meter_of_sim_board(other, impl, manifests)
            if other not in manifests:
                log.warning("%s.%s: dropping the connection to %s (dropped)", module_id, requirement, other)
                continue
            impl = renames[other].get(impl, impl)
            if impl not in manifests[other].provides:
                log.warning("%s.%s: dropping the connection to %s.%s, which pycharge does not provide",
                            module_id, requirement, other, impl)
                continue
            out.append({"module_id": other, "implementation_id": impl})
        if out:
            kept[requirement] = out
    return kept


def _meter_of_sim_board(module_id: str, impl: str, manifests: dict[str, Manifest]) -> str:
    """EVerest's SIL board meters; pycharge's simulated meter is the CarSimulator's ``powermeter``."""
    if impl != "powermeter" or (module_id in manifests and "powermeter" in manifests[module_id].provides):
        return module_id
    cars = [m for m, found in manifests.items() if {"powermeter", "ev_manager"} <= set(found.provides)]
    return cars[0] if cars else module_id

