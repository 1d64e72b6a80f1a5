"""A small JSON-schema checker for the subset EVerest's interface and type files use.

Why not ``jsonschema``: it is not available for every Yocto release we target without extra
recipes, and we need only types, enums, bounds, objects, arrays and ``$ref`` to type files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Resolver = Callable[[str], Mapping[str, Any]]

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def check(value: Any, schema: Mapping[str, Any], resolve: Resolver | None = None,
          path: str = "") -> list[str]:
    """Return every way ``value`` breaks ``schema``, each prefixed with its location."""
    problems: list[str] = []
    _check(value, schema, resolve, path or "value", problems)
    return problems


def _check(value: Any, schema: Mapping[str, Any], resolve: Resolver | None, path: str,
           out: list[str]) -> None:
    if "$ref" in schema:
        if resolve is None:
            out.append(f"{path}: cannot resolve {schema['$ref']}")
            return
        try:
            target = resolve(schema["$ref"])
        except KeyError:
            out.append(f"{path}: unknown type {schema['$ref']}")
            return
        _check(value, target, resolve, path, out)
        return
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(_TYPE_CHECKS.get(name, lambda _v: True)(value) for name in names):
            out.append(f"{path}: expected {' or '.join(names)}, got {_describe(value)}")
            return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(v) for v in schema["enum"])
        out.append(f"{path}: {value!r} is not one of {allowed}")
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_bounds(value, schema, path, out)
    if isinstance(value, str):
        _check_string(value, schema, path, out)
    if isinstance(value, dict):
        _check_object(value, schema, resolve, path, out)
    if isinstance(value, list):
        _check_array(value, schema, resolve, path, out)


def _check_bounds(value: float, schema: Mapping[str, Any], path: str, out: list[str]) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        out.append(f"{path}: {value} is below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        out.append(f"{path}: {value} is above the maximum {schema['maximum']}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        out.append(f"{path}: {value} must be greater than {schema['exclusiveMinimum']}")
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        out.append(f"{path}: {value} must be less than {schema['exclusiveMaximum']}")


def _check_string(value: str, schema: Mapping[str, Any], path: str, out: list[str]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        out.append(f"{path}: shorter than {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        out.append(f"{path}: longer than {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        out.append(f"{path}: {value!r} does not match {schema['pattern']}")


def _check_object(value: dict, schema: Mapping[str, Any], resolve: Resolver | None, path: str,
                  out: list[str]) -> None:
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            out.append(f"{path}: missing required property '{name}'")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            _check(item, properties[name], resolve, f"{path}.{name}", out)
        elif extra is False:
            out.append(f"{path}: unknown property '{name}'")
        elif isinstance(extra, Mapping):
            _check(item, extra, resolve, f"{path}.{name}", out)


def _check_array(value: list, schema: Mapping[str, Any], resolve: Resolver | None, path: str,
                 out: list[str]) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        out.append(f"{path}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        out.append(f"{path}: more than {schema['maxItems']} items")
    items = schema.get("items")
    if isinstance(items, Mapping):
        for index, item in enumerate(value):
            _check(item, items, resolve, f"{path}[{index}]", out)


def _describe(value: Any) -> str:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
             dict: "object", type(None): "null"}
    return f"{kinds.get(type(value), type(value).__name__)} {value!r}"[:80]
