"""EVerest-format configuration files: loading, validation against manifests, defaults.

Validation runs before anything starts and reports every problem in one go, each naming the
file, the module id, the key and what would be allowed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pycharge.runtime import everest_yaml, schema
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.links import link
from pycharge.runtime.manifest import Manifest, ModuleCatalog
from pycharge.runtime.suggest import did_you_mean
from pycharge.runtime.usererror import ConfigError, ConfigProblem

log = logging.getLogger("pycharge.config")

MODULE_ID = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.-]*$")
MODULE_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_-]*$")
TOP_LEVEL_KEYS = ("active_modules", "settings", "x-module-layout")
MODULE_KEYS = ("module", "config_module", "config_implementation", "connections", "telemetry",
               "mapping", "standalone", "capabilities", "access")

# EVerest's settings (framework runtime.hpp) with their types; all are accepted, the MQTT ones used.
SETTINGS: dict[str, tuple[type, ...]] = {
    "prefix": (str,), "config_file": (str,), "configs_dir": (str,), "schemas_dir": (str,),
    "modules_dir": (str,), "interfaces_dir": (str,), "types_dir": (str,), "errors_dir": (str,),
    "www_dir": (str,), "logging_config_file": (str,), "controller_port": (int,),
    "controller_rpc_timeout_ms": (int,), "mqtt_broker_socket_path": (str,),
    "mqtt_broker_host": (str,), "mqtt_broker_port": (int,), "mqtt_everest_prefix": (str,),
    "mqtt_external_prefix": (str,), "telemetry_prefix": (str,), "telemetry_enabled": (bool,),
    "validate_schema": (bool,), "run_as_user": (str,), "forward_exceptions": (bool,),
}


@dataclass(frozen=True)
class Fulfillment:
    """One connection of a requirement: which module and implementation answer it."""

    module_id: str
    implementation_id: str
    interface: str


@dataclass(frozen=True)
class Settings:
    """The parts of ``settings`` the runtime acts on."""

    mqtt_broker_host: str = "localhost"
    mqtt_broker_port: int = 1883
    mqtt_broker_socket_path: str | None = None
    mqtt_everest_prefix: str = "everest/"
    mqtt_external_prefix: str = ""
    telemetry_prefix: str = "everest-telemetry/"
    telemetry_enabled: bool = False
    broker_configured: bool = False


@dataclass
class ModuleConfig:
    """One entry of ``active_modules`` after validation, with defaults filled in."""

    id: str
    name: str
    manifest: Manifest
    config: dict[str, Any] = field(default_factory=dict)
    implementations: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: dict[str, list[Fulfillment]] = field(default_factory=dict)
    mapping: dict[str, Any] = field(default_factory=dict)
    telemetry: dict[str, Any] | None = None
    required_by: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    heartbeat: bool = True  # publish heartbeats (runtime/links.py: False if nobody watches)


@dataclass
class Config:
    """A validated configuration, ready to run."""

    path: Path
    settings: Settings
    modules: dict[str, ModuleConfig]
    warnings: list[str] = field(default_factory=list)


def load(path: Path | str, catalog: ModuleCatalog, definitions: Definitions) -> Config:
    """Read and validate ``path``; raise :class:`ConfigError` listing every problem."""
    path = Path(path)
    raw = _read_yaml(path)
    return Validator(path, raw, catalog, definitions).run()


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, None,
                                         f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), None, None, "not UTF-8 text (byte "
                                         f"{exc.start}: {exc.object[exc.start:exc.start + 1]!r})")]) from None
    try:
        return everest_yaml.load(text)
    except RecursionError:
        raise ConfigError([ConfigProblem(str(path), None, None,
                                         "nested too deeply to be a configuration")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(str(path), None, None,
                                         f"{where}not valid YAML ({reason})")]) from None


class Validator:
    """Walks one config file and collects every problem before giving an answer."""

    def __init__(self, path: Path, raw: Any, catalog: ModuleCatalog,
                 definitions: Definitions) -> None:
        self.file = str(path)
        self.path = path
        self.raw = raw
        self.catalog = catalog
        self.definitions = definitions
        self.problems: list[ConfigProblem] = []
        self.warnings: list[str] = []

    def problem(self, module_id: str | None, key: str | None, message: str) -> None:
        self.problems.append(ConfigProblem(self.file, module_id, key, message))

    def run(self) -> Config:
        if not isinstance(self.raw, dict):
            self.problem(None, None, "the top level must be a mapping with 'active_modules'")
            raise ConfigError(self.problems)
        for key in self.raw:
            if key not in TOP_LEVEL_KEYS:
                self.problem(None, key, f"unknown top-level key{did_you_mean(key, TOP_LEVEL_KEYS)}; "
                             f"allowed: {', '.join(TOP_LEVEL_KEYS)}")
        settings = self._settings(self.raw.get("settings"))
        active = self.raw.get("active_modules")
        modules: dict[str, ModuleConfig] = {}
        if not isinstance(active, dict) or not active:
            self.problem(None, "active_modules", "required: a mapping of module ids to modules")
        else:
            active = self._module_ids(active)
            for module_id, entry in active.items():
                module = self._module(module_id, entry)
                if module is not None:
                    modules[module.id] = module
            unresolved = {module_id: entry.get("module") if isinstance(entry, dict) else None
                          for module_id, entry in active.items() if module_id not in modules}
            for module in modules.values():
                self._connections(module, active[module.id], modules, unresolved)
        if self.problems:
            raise ConfigError(self.problems)
        link(modules)
        return Config(self.path, settings, modules, self.warnings)

    def _settings(self, raw: Any) -> Settings:
        if raw is None:
            return Settings()
        if not isinstance(raw, dict):
            self.problem(None, "settings", "must be a mapping")
            return Settings()
        given, raw = raw, {}  # from here on: only the settings that are right
        for key, value in given.items():
            if key not in SETTINGS:
                self.problem(None, f"settings.{key}", f"unknown setting{did_you_mean(key, SETTINGS)}; "
                             f"allowed: {', '.join(sorted(SETTINGS))}")
            elif not isinstance(value, SETTINGS[key]) or (
                    isinstance(value, bool) and bool not in SETTINGS[key]):
                self.problem(None, f"settings.{key}",
                             f"expected {SETTINGS[key][0].__name__}, got {value!r}")
            else:
                raw[key] = value
        if "mqtt_broker_socket_path" in raw and ("mqtt_broker_host" in raw
                                                 or "mqtt_broker_port" in raw):
            self.problem(None, "settings.mqtt_broker_socket_path",
                         "a unix socket excludes mqtt_broker_host and mqtt_broker_port")
        everest = _with_slash(raw.get("mqtt_everest_prefix", "everest"))
        external = raw.get("mqtt_external_prefix", "")  # literal, as EVerest uses it: no slash added
        if everest == external:
            self.problem(None, "settings.mqtt_external_prefix",
                         "must differ from mqtt_everest_prefix")
        return Settings(
            mqtt_broker_host=raw.get("mqtt_broker_host", "localhost"),
            mqtt_broker_port=raw.get("mqtt_broker_port", 1883),
            mqtt_broker_socket_path=raw.get("mqtt_broker_socket_path"),
            mqtt_everest_prefix=everest,
            mqtt_external_prefix=external,
            telemetry_prefix=_with_slash(raw.get("telemetry_prefix", "everest-telemetry")),
            telemetry_enabled=bool(raw.get("telemetry_enabled", False)),
            broker_configured=any(k.startswith("mqtt_broker") for k in raw),
        )

    def _module_ids(self, active: dict[Any, Any]) -> dict[str, Any]:
        """``active_modules`` by module id as text (YAML reads ``0:`` as a number)."""
        by_id: dict[str, Any] = {}
        for key, entry in active.items():
            if str(key) in by_id:
                self.problem(str(key), None, "module id given twice")
            by_id[str(key)] = entry
        return by_id

    def _module(self, module_id: str, entry: Any) -> ModuleConfig | None:
        if not MODULE_ID.match(module_id):
            self.problem(module_id, None, f"invalid module id; it must match {MODULE_ID.pattern}")
        if not isinstance(entry, dict):
            self.problem(module_id, None, "must be a mapping with at least 'module'")
            return None
        for key in entry:
            if key not in MODULE_KEYS:
                self.problem(module_id, key, f"unknown key{did_you_mean(key, MODULE_KEYS)}; "
                             f"allowed: {', '.join(MODULE_KEYS)}")
        name = entry.get("module")
        if not isinstance(name, str) or not MODULE_NAME.match(name):
            self.problem(module_id, "module", "required: the name of a module")
            return None
        if name not in self.catalog:
            self.problem(module_id, "module", f"module '{name}' is not available"
                         f"{did_you_mean(name, self.catalog.names)}; "
                         f"available modules: {', '.join(self.catalog.names)}")
            return None
        manifest = self.catalog.manifest(name)
        module = ModuleConfig(module_id, name, manifest)
        module.config = self._entries(module_id, "config_module", entry.get("config_module"),
                                      manifest.config)
        impl_configs = entry.get("config_implementation") or {}
        if not isinstance(impl_configs, dict):
            self.problem(module_id, "config_implementation", "must be a mapping")
            impl_configs = {}
        for impl_id in impl_configs:
            if impl_id not in manifest.provides:
                self.problem(module_id, f"config_implementation.{impl_id}",
                             f"module {name} provides no implementation '{impl_id}'"
                             f"{did_you_mean(impl_id, manifest.provides)}; "
                             f"it provides: {', '.join(manifest.provides) or 'nothing'}")
        for impl_id, provision in manifest.provides.items():
            module.implementations[impl_id] = self._entries(
                module_id, f"config_implementation.{impl_id}", impl_configs.get(impl_id),
                provision.config)
        module.mapping = self._mapping(module_id, entry.get("mapping"), manifest)
        telemetry = entry.get("telemetry")
        if telemetry is not None and not (isinstance(telemetry, dict)
                                          and isinstance(telemetry.get("id"), int)):
            self.problem(module_id, "telemetry", "must be a mapping {id: <integer>}")
        module.telemetry = telemetry
        return module

    def _entries(self, module_id: str, section: str, given: Any,
                 declared: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Check one flat config map against its manifest entries and fill in defaults."""
        if given is None:
            given = {}
        if not isinstance(given, dict):
            self.problem(module_id, section, "must be a mapping of keys to values")
            given = {}
        values: dict[str, Any] = {}
        for key, raw_value in given.items():
            where = f"{section}.{key}"
            value = raw_value
            spec = declared.get(key)
            if spec is None:
                allowed = ", ".join(sorted(declared)) or "none"
                self.problem(module_id, where, f"unknown config key{did_you_mean(key, declared)}; "
                             f"allowed keys: {allowed}")
                continue
            if isinstance(value, (dict, list)):
                self.problem(module_id, where, "config values must be scalars")
                continue
            if spec.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            for message in schema.check(value, spec, path=where):
                self.problem(module_id, where, message.removeprefix(f"{where}: ") + _allowed(spec)
                             + _hint(value, spec))
            if "x-ignored" in spec:
                self.warnings.append(f"{self.file}: module '{module_id}': {where} is accepted "
                                     f"and ignored: {spec['x-ignored']}")
            values[key] = value
        for key, spec in declared.items():
            if key in values:
                continue
            if "default" in spec:
                values[key] = spec["default"]
            else:
                self.problem(module_id, f"{section}.{key}",
                             f"missing mandatory config entry ({spec['type']}, no default)")
        return values

    def _mapping(self, module_id: str, raw: Any, manifest: Manifest) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict) or set(raw) - {"module", "implementations"}:
            self.problem(module_id, "mapping", "allowed keys: module, implementations")
            return {}
        for place in [raw.get("module"), *(raw.get("implementations") or {}).values()]:
            if place is None:
                continue
            if not isinstance(place, dict) or not isinstance(place.get("evse"), int) or (
                    set(place) - {"evse", "connector"}):
                self.problem(module_id, "mapping",
                             "each mapping is {evse: <integer>, connector: <integer, optional>}")
        for impl_id in raw.get("implementations") or {}:
            if impl_id not in manifest.provides:
                self.problem(module_id, f"mapping.implementations.{impl_id}",
                             f"module {manifest.name} provides no implementation '{impl_id}'"
                             + did_you_mean(impl_id, manifest.provides))
        return raw

    def _connections(self, module: ModuleConfig, entry: dict, modules: dict[str, ModuleConfig],
                     unresolved: dict[str, Any]) -> None:
        raw = entry.get("connections") or {}
        manifest = module.manifest
        if not isinstance(raw, dict):
            self.problem(module.id, "connections", "must be a mapping of requirement ids to lists")
            raw = {}
        for requirement_id in raw:
            if requirement_id not in manifest.requires:
                self.problem(module.id, f"connections.{requirement_id}",
                             f"module {module.name} has no requirement '{requirement_id}'"
                             f"{did_you_mean(requirement_id, manifest.requires)}; "
                             f"its requirements: {', '.join(manifest.requires) or 'none'}")
        for requirement in manifest.requires.values():
            where = f"connections.{requirement.id}"
            listed = raw.get(requirement.id) or []
            if not isinstance(listed, list):
                self.problem(module.id, where, "must be a list of {module_id, implementation_id}")
                continue
            count = len(listed)
            if not requirement.min_connections <= count <= requirement.max_connections:
                self.problem(module.id, where, f"needs between {requirement.min_connections} and "
                             f"{requirement.max_connections} connection(s) to a "
                             f"'{requirement.interface}' implementation, {count} given")
            fulfillments = []
            for index, item in enumerate(listed):
                f = self._fulfillment(module.id, f"{where}[{index}]", item, requirement.interface,
                                      modules, unresolved)
                if f is not None:
                    fulfillments.append(f)
            if fulfillments and requirement.ignored:
                self.warnings.append(f"{self.file}: module '{module.id}': {where} is accepted "
                                     f"and ignored: {requirement.ignored}")
            module.connections[requirement.id] = fulfillments

    def _fulfillment(self, module_id: str, where: str, item: Any, interface: str,
                     modules: dict[str, ModuleConfig], unresolved: dict[str, Any]
                     ) -> Fulfillment | None:
        if not isinstance(item, dict) or set(item) != {"module_id", "implementation_id"}:
            self.problem(module_id, where, "must be exactly {module_id, implementation_id}")
            return None
        target_id, impl_id = str(item["module_id"]), str(item["implementation_id"])
        if target_id not in modules:
            missing = unresolved.get(target_id)
            if isinstance(missing, str) and missing not in self.catalog:
                self.problem(module_id, where, f"wired to '{target_id}', a {missing} module, "
                             "which pycharge does not have")
            elif target_id not in unresolved:
                known = sorted(modules) + sorted(unresolved)
                self.problem(module_id, where, f"module id '{target_id}' is not in active_modules"
                             f"{did_you_mean(target_id, known)}; active modules: {', '.join(known)}")
            return None
        provides = modules[target_id].manifest.provides
        if impl_id not in provides:
            self.problem(module_id, where, f"module '{target_id}' ({modules[target_id].name}) "
                         f"provides no implementation '{impl_id}'{did_you_mean(impl_id, provides)}; "
                         "it provides: "
                         f"{', '.join(f'{p.id} ({p.interface})' for p in provides.values())}")
            return None
        if provides[impl_id].interface != interface:
            self.problem(module_id, where, f"requires interface '{interface}' but "
                         f"'{target_id}.{impl_id}' provides '{provides[impl_id].interface}'")
            return None
        return Fulfillment(target_id, impl_id, interface)


def _with_slash(prefix: str) -> str:
    return prefix if prefix.endswith("/") else prefix + "/"


def _hint(value: Any, spec: Mapping[str, Any]) -> str:
    """What the user probably meant, for the two mistakes that are easy to make."""
    if spec.get("type") == "boolean" and value in everest_yaml.YAML11_BOOLEANS:
        return "; EVerest reads only unquoted true and false as booleans"
    if isinstance(value, str) and value not in spec.get("enum", (value,)):
        return did_you_mean(value, spec["enum"])
    return ""


def _allowed(spec: Mapping[str, Any]) -> str:
    parts = [f"type {spec.get('type')}"]
    if "enum" in spec:
        parts.append("one of " + ", ".join(str(v) for v in spec["enum"]))
    if "minimum" in spec or "maximum" in spec:
        parts.append(f"range {spec.get('minimum', '-inf')}..{spec.get('maximum', 'inf')}")
    return f" (allowed: {'; '.join(parts)})"
