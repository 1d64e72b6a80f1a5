"""Config validation: every problem found in one run, each naming file, module, key, allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.usererror import ConfigError
from tests.conftest import EXAMPLE_MODULES

CATALOG = ModuleCatalog([EXAMPLE_MODULES])
DEFINITIONS = Definitions.load([EXAMPLE_MODULES])
GOOD = {
    "active_modules": {
        "provider": {"module": "ExampleProvider", "config_module": {"start": 3}},
        "user": {"module": "ExampleUser",
                 "connections": {"provider": [{"module_id": "provider",
                                               "implementation_id": "main"}]}},
    }
}


def load(tmp_path: Path, content: object) -> config_loader.Config:
    path = tmp_path / "config.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return config_loader.load(path, CATALOG, DEFINITIONS)


def problems(tmp_path: Path, content: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, content)
    return [str(p) for p in caught.value.problems]


def with_changes(**modules: dict) -> dict:
    config = yaml.safe_load(yaml.safe_dump(GOOD))
    for module_id, entry in modules.items():
        if entry is None:
            del config["active_modules"][module_id]
        else:
            config["active_modules"][module_id] = entry
    return config


def test_a_good_config_gets_defaults_and_connections(tmp_path: Path) -> None:
    config = load(tmp_path, GOOD)
    provider, user = config.modules["provider"], config.modules["user"]
    assert provider.config == {"start": 3, "mode": "fast"}
    assert provider.implementations == {"main": {"scale": 1.0}}
    assert [(f.module_id, f.implementation_id, f.interface)
            for f in user.connections["provider"]] == [("provider", "main", "example")]
    assert provider.required_by == {"main": [("user", "provider")]}
    assert config.settings.mqtt_everest_prefix == "everest/"


def test_unknown_module_names_the_available_ones(tmp_path: Path) -> None:
    found = problems(tmp_path, with_changes(provider={"module": "NoSuchModule"}))
    assert found == [f"{tmp_path / 'config.yaml'}: module 'provider': module: module "
                     f"'NoSuchModule' is not available; available modules: "
                     f"{', '.join(CATALOG.names)}",
                     f"{tmp_path / 'config.yaml'}: module 'user': connections.provider[0]: "
                     "wired to 'provider', a NoSuchModule module, which pycharge does not have"]


def test_every_problem_is_reported_in_one_run(tmp_path: Path) -> None:
    found = problems(tmp_path, with_changes(
        provider={"module": "ExampleProvider",
                  "config_module": {"start": -1, "mode": "turbo", "colour": "red", "scale": "x"}},
        user={"module": "ExampleUser"}))
    file = tmp_path / "config.yaml"
    assert sorted(found) == sorted([
        f"{file}: module 'provider': config_module.start: -1 is below the minimum 0 "
        "(allowed: type integer; range 0..inf)",
        f"{file}: module 'provider': config_module.mode: 'turbo' is not one of 'fast', 'slow' "
        "(allowed: type string; one of fast, slow)",
        f"{file}: module 'provider': config_module.colour: unknown config key; "
        "allowed keys: mode, start",
        f"{file}: module 'provider': config_module.scale: unknown config key; "
        "allowed keys: mode, start",
        f"{file}: module 'user': connections.provider: needs between 1 and 1 connection(s) "
        "to a 'example' implementation, 0 given",
    ])


def test_mistyped_value_and_implementation_config(tmp_path: Path) -> None:
    found = problems(tmp_path, with_changes(provider={
        "module": "ExampleProvider", "config_module": {"start": "three"},
        "config_implementation": {"main": {"scale": True}, "other": {}}}))
    assert any("config_module.start: expected integer, got string 'three'" in p for p in found)
    assert any("config_implementation.main.scale: expected number, got boolean True" in p
               for p in found)
    assert any("config_implementation.other: module ExampleProvider provides no "
               "implementation 'other'; it provides: main" in p for p in found)


def test_connection_to_missing_module_impl_or_interface(tmp_path: Path) -> None:
    def user(module_id: str, impl: str) -> dict:
        return {"module": "ExampleUser",
                "connections": {"provider": [{"module_id": module_id,
                                              "implementation_id": impl}]}}

    assert "module id 'ghost' is not in active_modules" in problems(
        tmp_path, with_changes(user=user("ghost", "main")))[0]
    assert "module 'provider' (ExampleProvider) provides no implementation 'nope'; it provides: " \
        "main (example)" in problems(tmp_path, with_changes(user=user("provider", "nope")))[0]
    mismatch = with_changes(user=user("other_user", "main"),
                            other_user={"module": "ExampleUser",
                                        "connections": {"provider": [
                                            {"module_id": "provider",
                                             "implementation_id": "main"}]}})
    assert problems(tmp_path, mismatch) == [
        f"{tmp_path / 'config.yaml'}: module 'user': connections.provider[0]: requires interface "
        "'example' but 'other_user.main' provides 'empty'"]


def test_too_many_connections_and_unknown_requirement(tmp_path: Path) -> None:
    entry = {"module_id": "provider", "implementation_id": "main"}
    found = problems(tmp_path, with_changes(user={
        "module": "ExampleUser", "connections": {"provider": [entry, entry], "extra": [entry]}}))
    assert any("connections.extra: module ExampleUser has no requirement 'extra'; "
               "its requirements: provider" in p for p in found)
    assert any("connections.provider: needs between 1 and 1 connection(s) to a 'example' "
               "implementation, 2 given" in p for p in found)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    assert problems(tmp_path, "active_modules:\n  a: [unclosed\n") == [
        f"{tmp_path / 'config.yaml'}: line 3, column 1: not valid YAML "
        "(expected ',' or ']', but got '<stream end>')"]


@pytest.mark.parametrize(("content", "message"), [
    ("", "the top level must be a mapping with 'active_modules'"),
    ("- a\n- b\n", "the top level must be a mapping with 'active_modules'"),
    ({"active_modules": {}}, "active_modules: required: a mapping of module ids to modules"),
    ({**GOOD, "extra": 1}, "extra: unknown top-level key; allowed: active_modules, settings, "
                           "x-module-layout"),
    ({**GOOD, "settings": {"mqtt_broker_port": "1883"}},
     "settings.mqtt_broker_port: expected int, got '1883'"),
    ({**GOOD, "settings": {"mqtt_borker_port": 1}}, "settings.mqtt_borker_port: unknown setting"),
    ({**GOOD, "settings": {"mqtt_broker_socket_path": "/run/m", "mqtt_broker_port": 1}},
     "a unix socket excludes mqtt_broker_host and mqtt_broker_port"),
    ({"active_modules": {"bad id!": {"module": "ExampleProvider"}}}, "invalid module id"),
    ({"active_modules": {"p": {"module": "ExampleProvider", "moduel": 1}}},
     "moduel: unknown key (did you mean 'module'?); allowed: module, config_module"),
    ({"active_modules": {"p": {"module": "ExampleProvider", "mapping": {"module": {"evse": "1"}}}}},
     "each mapping is {evse: <integer>, connector: <integer, optional>}"),
    ({"active_modules": {"p": {"module": "ExampleProvider", "telemetry": {"id": "x"}}}},
     "telemetry: must be a mapping {id: <integer>}"),
])
def test_structural_problems(tmp_path: Path, content: object, message: str) -> None:
    assert any(message in p for p in problems(tmp_path, content))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read: No such file or directory"):
        config_loader.load(tmp_path / "absent.yaml", CATALOG, DEFINITIONS)


def test_settings_are_read(tmp_path: Path) -> None:
    config = load(tmp_path, {**GOOD, "settings": {"mqtt_everest_prefix": "ev",
                                                  "mqtt_external_prefix": "ext",
                                                  "mqtt_broker_port": 1999}})
    settings = config.settings
    assert (settings.mqtt_everest_prefix, settings.mqtt_external_prefix) == ("ev/", "ext")
    assert (settings.mqtt_broker_port, settings.broker_configured) == (1999, True)
