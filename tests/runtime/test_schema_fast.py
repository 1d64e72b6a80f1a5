"""The compiled predicate and the full check agree on what is valid, for every schema the
package ships: built examples of each, each example broken in every place, and random JSON."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycharge.runtime import schema
from pycharge.runtime.definitions import Definitions

DEFINITIONS = Definitions.load([])
BREAKERS = (None, True, -1e9, 1e9, "", "zzzz-not-an-enum", [], {}, [None], {"unknown": 1})


def shipped_schemas() -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, interface in sorted(DEFINITIONS.interfaces.items()):
        for var, spec in interface.vars.items():
            yield f"{name}.var.{var}", spec
        for cmd in interface.cmds.values():
            yield f"{name}.cmd.{cmd.name}.result", cmd.result
            for arg, spec in cmd.arguments.items():
                yield f"{name}.cmd.{cmd.name}.{arg}", spec
    for file, types in sorted(DEFINITIONS.types.items()):
        for type_name in types:
            yield f"types/{file}#{type_name}", {"$ref": f"/{file}#/{type_name}"}


SCHEMAS = list(shipped_schemas())


def example(spec: Mapping[str, Any], depth: int = 0) -> Any:
    """A value the schema accepts, with every property present (``depth`` stops recursion)."""
    if "$ref" in spec:
        return example(DEFINITIONS.resolve(spec["$ref"]), depth + 1)
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        props = spec.get("properties", {}) if depth < 6 else {}
        return {name: example(sub, depth + 1) for name, sub in props.items()}
    if kind == "array":
        items = spec.get("items")
        count = spec.get("minItems", 1 if isinstance(items, Mapping) and depth < 6 else 0)
        return [example(items, depth + 1) for _ in range(count)] if items else []
    return scalar_example(kind, spec)


def scalar_example(kind: str | None, spec: Mapping[str, Any]) -> Any:
    if kind in ("number", "integer"):
        low = spec.get("minimum", spec.get("exclusiveMinimum", -1) + 1)
        return low if spec.get("maximum", low) >= low else spec["maximum"]
    return {"string": "x" * spec.get("minLength", 1), "boolean": True}.get(kind)


def places(value: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from places(item, (*path, index))


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    value = copy.deepcopy(value)
    target = value
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return value


def agree(spec: Mapping[str, Any], value: Any) -> None:
    fast = schema.compile_valid(spec, DEFINITIONS.resolve)(value)
    full = schema.check(value, spec, DEFINITIONS.resolve)
    assert fast == (not full), f"predicate {fast}, check {full} for {value!r}"


@pytest.mark.parametrize(("name", "spec"), SCHEMAS, ids=[name for name, _ in SCHEMAS])
def test_examples_and_every_broken_variant(name: str, spec: Mapping[str, Any]) -> None:
    valid = example(spec)
    agree(spec, valid)
    for path in places(valid):
        for breaker in BREAKERS:
            agree(spec, replaced(valid, path, breaker))
        if path and isinstance(valid, dict):
            agree(spec, {k: v for k, v in valid.items() if k != path[0]})


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SCHEMAS), JSON)
def test_random_json(named: tuple[str, Mapping[str, Any]], value: Any) -> None:
    agree(named[1], value)


def test_the_stack_checks_through_the_predicate() -> None:
    spec = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0}},
            "required": ["a"]}
    assert DEFINITIONS.check({"a": 1}, spec, "v") == []
    assert DEFINITIONS.check({"a": -1}, spec, "v") == ["v.a: -1 is below the minimum 0"]
    assert DEFINITIONS.check({}, spec, "v") == ["v: missing required property 'a'"]
