"""The configuration under test: bsp-only.yaml as shipped, with its files moved to a temp dir.

bsp-only.yaml keeps its error history in /tmp/error_history.db; a benchmark must not share that
file with a stack someone else is running, so every ``database_path`` is pointed into the
benchmark's own directory. Nothing else changes, except where a figure needs a feature the
minimal config leaves off (``rcm_enable`` for the RCM reaction), which the report names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import pycharge

SHIPPED = Path(pycharge.__file__).parent / "configs" / "bsp-only.yaml"
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
