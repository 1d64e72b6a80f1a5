"""Interfaces, types and error declarations in EVerest's YAML formats.

The package ships the definitions for every interface our modules provide or require, with
EVerest 2026.02 names; further directories (a user's own modules) can be added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from pycharge.runtime import schema
from pycharge.runtime.usererror import UserError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# libyaml's parser where PyYAML was built with it (oe-core's python3-pyyaml is): reading the
# manifests and definitions is most of a start-up on the board, and libyaml does it ~10x faster.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
COMPILED_SCHEMAS = 4096  # far more than the package's interfaces have schemas


def read_yaml(text: Any) -> Any:
    """``yaml.safe_load`` of a string or stream, with the fastest safe loader there is."""
    return yaml.load(text, Loader=SafeLoader)


@dataclass(frozen=True)
class Command:
    """One command of an interface: its argument schemas and its result schema."""

    name: str
    arguments: Mapping[str, Mapping[str, Any]]
    result: Mapping[str, Any]


@dataclass(frozen=True)
class Interface:
    """An interface: the commands its provider answers, the variables and errors it publishes."""

    name: str
    description: str
    cmds: Mapping[str, Command]
    vars: Mapping[str, Mapping[str, Any]]
    errors: frozenset[str]  # full error types, "namespace/Name"


@dataclass
class Definitions:
    """Every interface, type file and error namespace known to this run."""

    interfaces: dict[str, Interface] = field(default_factory=dict)
    types: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    # id(schema) -> (schema, predicate); the schema is kept, so its id cannot be reused
    _compiled: dict[int, tuple[Mapping[str, Any], schema.Predicate]] = field(
        default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = ()) -> Definitions:
        """Read the package's definitions, then those under each of ``extra_dirs``."""
        defs = cls()
        for root in (PACKAGE_DIR, *extra_dirs):
            for path in sorted((root / "types").glob("*.yaml")):
                defs.types[path.stem] = _read(path).get("types", {})
            for path in sorted((root / "errors").glob("*.yaml")):
                entries = _read(path).get("errors", [])
                defs.errors[path.stem] = {e["name"]: e.get("description", "") for e in entries}
        raw_interfaces = {}
        for root in (PACKAGE_DIR, *extra_dirs):
            for path in sorted((root / "interfaces").glob("*.yaml")):
                raw_interfaces[path.stem] = (path, _read(path))
        for name, (path, raw) in raw_interfaces.items():
            defs.interfaces[name] = defs._interface(name, path, raw)
            defs._check_references(path, raw)
        for file, types in defs.types.items():
            defs._check_references(Path(f"types/{file}.yaml"), types)
        return defs

    def _check_references(self, path: Path, node: Any) -> None:
        """Refuse a definition that refers to a type nobody defines (a bug in the package)."""
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    try:
                        self.resolve(value)
                    except KeyError:
                        raise UserError(f"{path}: refers to unknown type {value}") from None
                else:
                    self._check_references(path, value)
        elif isinstance(node, list):
            for item in node:
                self._check_references(path, item)

    def resolve(self, ref: str) -> Mapping[str, Any]:
        """Resolve ``/<types file>#/<TypeName>`` to the type's schema."""
        file, _, type_name = ref.lstrip("/").partition("#/")
        try:
            return self.types[file][type_name]
        except KeyError:
            raise KeyError(f"unknown type reference {ref}") from None

    def check(self, value: Any, type_schema: Mapping[str, Any], path: str) -> list[str]:
        """Check ``value`` against a schema that may refer to type files: a compiled predicate
        first, the full check with its messages only for a value it refuses."""
        entry = self._compiled.get(id(type_schema))
        if entry is None or entry[0] is not type_schema:
            if len(self._compiled) >= COMPILED_SCHEMAS:
                self._compiled.clear()
            entry = (type_schema, schema.compile_valid(type_schema, self.resolve))
            self._compiled[id(type_schema)] = entry
        if entry[1](value):
            return []
        return schema.check(value, type_schema, self.resolve, path)

    @cached_property
    def all_error_types(self) -> frozenset[str]:
        return frozenset(f"{ns}/{name}" for ns, names in self.errors.items() for name in names)

    def error_description(self, error_type: str) -> str:
        namespace, _, name = error_type.partition("/")
        return self.errors.get(namespace, {}).get(name, "")

    def _interface(self, name: str, path: Path, raw: Mapping[str, Any]) -> Interface:
        cmds = {
            cmd: Command(cmd, spec.get("arguments") or {}, spec.get("result") or {"type": "null"})
            for cmd, spec in (raw.get("cmds") or {}).items()
        }
        errors: set[str] = set()
        for entry in raw.get("errors") or []:
            reference = entry["reference"].removeprefix("/errors/")
            namespace, _, single = reference.partition("#/")
            if namespace not in self.errors:
                raise UserError(f"{path}: unknown error namespace '{namespace}'")
            names = [single] if single else list(self.errors[namespace])
            errors.update(f"{namespace}/{n}" for n in names)
        return Interface(name, raw.get("description", ""), cmds, raw.get("vars") or {},
                         frozenset(errors))


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as stream:
            data = read_yaml(stream)
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping at the top level")
    return data
