"""The configuration under test: bsp-only.yaml (or bsp-only-ocpp.yaml) as shipped, with its files
moved to a temp dir.

bsp-only.yaml keeps its error history in /tmp/error_history.db; a benchmark must not share that
file with a stack someone else is running, so every ``database_path`` is pointed into the
benchmark's own directory. Nothing else changes, except where a figure needs a feature the
minimal config leaves off (``rcm_enable`` for the RCM reaction), which the report names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

import pycharge

SHIPPED = Path(pycharge.__file__).parent / "configs" / "bsp-only.yaml"
SHIPPED_OCPP = SHIPPED.with_name("bsp-only-ocpp.yaml")
BOARD_DRIVER = "CbTarragonDriver"


def _sections(module: dict[str, Any]) -> list[dict[str, Any]]:
    implementations = module.get("config_implementation") or {}
    return [module.get("config_module") or {}, *(s or {} for s in implementations.values())]


def prepare(source: Path, directory: Path, rcm: bool = False) -> Path:
    """Write the copy to ``directory`` and return its path."""
    raw = yaml.safe_load(source.read_text())
    for module_id, module in (raw.get("active_modules") or {}).items():
        for section in _sections(module):
            if "database_path" in section:
                section["database_path"] = str(directory / f"{module_id}.db")
        if rcm and module.get("module") == BOARD_DRIVER:
            module["config_module"] = {**(module.get("config_module") or {}), "rcm_enable": True}
    path = directory / source.name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def with_csms(source: Path, url: str, directory: Path) -> Path:
    """``prepare`` for a config with an OCPP module: its charge point config (the shipped
    ocpp-config.json) names ``url`` as the CSMS, its database and CbSystem's folders are in
    ``directory``, and CbSystem only pretends to run system programs."""
    path = prepare(source, directory)
    raw = yaml.safe_load(path.read_text())
    for module in raw["active_modules"].values():
        if module.get("module") == "OCPP":
            charge_point = json.loads((SHIPPED.parent / "ocpp-config.json").read_text())
            charge_point["Internal"]["CentralSystemURI"] = url
            charge_point_path = directory / "ocpp-config.json"
            charge_point_path.write_text(json.dumps(charge_point))
            module["config_module"].update(ChargePointConfigPath=str(charge_point_path),
                                           DatabasePath=str(directory / "ocpp"))
        elif module.get("module") == "CbSystem":
            folders = {key: directory / "system" / key for key in
                       ("download_dir", "state_dir", "log_dir")}
            for folder in folders.values():
                folder.mkdir(parents=True, exist_ok=True)
            module["config_module"] = {"simulate_system_commands": True,
                                       **{k: str(v) for k, v in folders.items()}}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
