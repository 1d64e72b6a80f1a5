"""Config YAML is read as EVerest's loader reads it (yaml_loader.cpp), not as YAML 1.1."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pycharge.runtime import everest_yaml


@pytest.mark.parametrize(("text", "expected"), [
    # the words PyYAML turns into booleans stay text, as EVerest keeps them
    ("no", "no"), ("off", "off"), ("yes", "yes"), ("on", "on"), ("No", "No"), ("OFF", "OFF"),
    ("True", "True"), ("FALSE", "FALSE"),
    # EVerest's booleans: exactly true and false
    ("true", True), ("false", False),
    # decimal numbers: integers in base 10 (YAML 1.1 reads 012 as octal 10), floats
    ("12", 12), ("-3", -3), ("+7", 7), ("012", 12), ("1.5", 1.5), ("-0.25", -0.25),
    ("1e3", 1000.0), (".5", 0.5), ("2.", 2.0),
    # YAML 1.1 numbers and dates that EVerest does not recognise stay text
    ("1_000", "1_000"), ("1:30", "1:30"), ("0x1F", "0x1F"), (".inf", ".inf"),
    ("2026-12-06", "2026-12-06"), ("none", "none"),
    # null, and quoting that keeps text text
    ("~", None), ("null", None), ("", None), ("'true'", "true"), ('"12"', "12"),
])
def test_scalars_get_everests_types(text: str, expected: Any) -> None:
    value = everest_yaml.load(f"key: {text}\n")["key"]
    assert value == expected and type(value) is type(expected)


def test_mapping_keys_are_always_text() -> None:
    # EVerest's loader builds every key from the key's characters: module id 0 is "0"
    loaded = everest_yaml.load("0: a\ntrue: b\n1.5: c\nnull: d\n")
    assert loaded == {"0": "a", "true": "b", "1.5": "c", "null": "d"}


def test_anchors_and_merge_keys_still_work() -> None:
    loaded = everest_yaml.load("base: &b {x: 1, y: no}\nderived:\n  <<: *b\n  y: 2\n")
    assert loaded["derived"] == {"x": 1, "y": 2}
    assert loaded["base"] == {"x": 1, "y": "no"}


def test_the_loader_builds_no_python_objects() -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        everest_yaml.load("key: !!python/object/apply:os.system ['true']\n")


def test_pyyaml_itself_is_left_as_it_was() -> None:
    # the EVerest rules belong to config files; other YAML (manifests) keeps PyYAML's
    assert yaml.safe_load("key: no\n") == {"key": False}
