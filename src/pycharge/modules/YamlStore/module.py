"""YamlStore: EVerest's read-only key-value store (``kvs``) backed by a YAML file.

The file is read once, at start, as EVerest reads YAML; it is never written. ``store`` and
``delete`` do nothing, as in EVerest, but say so in the log, so that a configuration that
wires a YamlStore where a writable store is needed (EvseManager's session record) shows why
nothing persists. A missing or unreadable file is logged and leaves the store empty, as in
EVerest: the charger still starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import yaml

from pycharge.runtime import everest_yaml
from pycharge.runtime.module import Implementation, Module


class Kvs(Implementation):
    module: YamlStore

    def store(self, key: str, value: Any) -> None:
        self.module.log.warning("store %r ignored: this YamlStore (%s) is read-only", key,
                                self.module.config["file"])

    def load(self, key: str) -> Any:
        return self.module.data.get(key)

    def delete(self, key: str) -> None:
        self.module.log.warning("delete %r ignored: this YamlStore (%s) is read-only", key,
                                self.module.config["file"])

    def exists(self, key: str) -> bool:
        return key in self.module.data


class YamlStore(Module):
    implementations: ClassVar = {"main": Kvs}

    def init(self) -> None:
        self.data: dict[str, Any] = read_store(self.config["file"], self.log.error)


def read_store(path: str, complain: Callable[..., None]) -> dict[str, Any]:
    """The top-level mapping of the YAML file at ``path``; empty (and a complaint) if none."""
    try:
        with open(path, encoding="utf-8") as stream:
            data = everest_yaml.load(stream.read())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        complain("cannot read YAML file at %s (config key 'file'): %s; the store is empty",
                 path, exc)
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        complain("YAML file at %s (config key 'file') must be a mapping of keys to values, "
                 "not %s; the store is empty", path, type(data).__name__)
        return {}
    return {str(key): value for key, value in data.items()}
