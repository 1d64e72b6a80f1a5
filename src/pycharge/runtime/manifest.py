"""Module manifests (EVerest's ``manifest.yaml``) and the catalogue of modules we can run.

A module is a folder ``<Name>/`` holding ``manifest.yaml`` and ``module.py``; ``module.py``
defines a class called ``<Name>``. The runtime finds modules by folder and never by a list.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pycharge.runtime.definitions import PACKAGE_DIR, read_yaml
from pycharge.runtime.usererror import UserError

CONFIG_TYPES = ("boolean", "integer", "number", "string")


@dataclass(frozen=True)
class Requirement:
    """A requirement slot of a module: which interface, how many connections."""

    id: str
    interface: str
    min_connections: int
    max_connections: int
    ignored: str = ""  # why pycharge accepts this requirement wired and does not use it


@dataclass(frozen=True)
class Provision:
    """An implementation a module provides: its id, interface and config entries."""

    id: str
    interface: str
    config: Mapping[str, Mapping[str, Any]]
    watches_heartbeats: bool = False  # its users must publish heartbeats (runtime/links.py)


@dataclass(frozen=True)
class Manifest:
    """What a module declares about itself."""

    name: str
    path: Path
    description: str
    config: Mapping[str, Mapping[str, Any]]
    provides: Mapping[str, Provision]
    requires: Mapping[str, Requirement]
    enable_external_mqtt: bool
    enable_global_errors: bool

    @classmethod
    def read(cls, name: str, path: Path) -> Manifest:
        try:
            raw = read_yaml(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise UserError(f"{path}: cannot read manifest: {exc}") from exc
        if not isinstance(raw, dict) or "description" not in raw:
            raise UserError(f"{path}: a manifest is a mapping with at least 'description'")
        provides = {
            impl: Provision(impl, spec["interface"], spec.get("config") or {},
                            spec.get("x-watches-heartbeats") is True)
            for impl, spec in (raw.get("provides") or {}).items()
        }
        requires = {
            req: Requirement(req, spec["interface"], int(spec.get("min_connections", 1)),
                             int(spec.get("max_connections", 1)), spec.get("x-ignored", ""))
            for req, spec in (raw.get("requires") or {}).items()
        }
        manifest = cls(name, path, raw["description"], raw.get("config") or {}, provides,
                       requires, bool(raw.get("enable_external_mqtt", False)),
                       bool(raw.get("enable_global_errors", False)))
        manifest._check_own_entries()
        return manifest

    def _check_own_entries(self) -> None:
        """A manifest with a broken entry is a bug in the module: refuse it loudly."""
        sections = [("config", self.config)]
        sections += [(f"provides.{p.id}.config", p.config) for p in self.provides.values()]
        for section, entries in sections:
            for key, entry in entries.items():
                if entry.get("type") not in CONFIG_TYPES:
                    raise UserError(f"{self.path}: {section}.{key}: type must be one of "
                                    f"{', '.join(CONFIG_TYPES)}")


class ModuleCatalog:
    """Every module found in the package and in the user's module directories."""

    def __init__(self, extra_dirs: Iterable[Path] = ()) -> None:
        self._dirs: dict[str, Path] = {}
        for root in (PACKAGE_DIR / "modules", *extra_dirs):
            for manifest in sorted(Path(root).glob("*/manifest.yaml")):
                self._dirs[manifest.parent.name] = manifest.parent
        self._manifests: dict[str, Manifest] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self._dirs)

    def __contains__(self, name: str) -> bool:
        return name in self._dirs

    def manifest(self, name: str) -> Manifest:
        if name not in self._manifests:
            self._manifests[name] = Manifest.read(name, self._dirs[name] / "manifest.yaml")
        return self._manifests[name]

    def load_class(self, name: str) -> type:
        """Import ``<Name>/module.py`` and return its class ``<Name>``."""
        folder = self._dirs[name]
        if folder.parent == PACKAGE_DIR / "modules":
            python_module = importlib.import_module(f"pycharge.modules.{name}.module")
        else:
            python_module = _import_file(f"pycharge_user_modules.{name}", folder / "module.py")
        try:
            return getattr(python_module, name)
        except AttributeError:
            raise UserError(f"{folder / 'module.py'}: defines no class '{name}'") from None


def _import_file(qualified: str, path: Path) -> Any:
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path}: cannot be imported")
    python_module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = python_module
    spec.loader.exec_module(python_module)
    return python_module
