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


# -- the fast path: a schema compiled once into a predicate -------------------------------------
# Almost every value on the bus is valid; telling so needs no messages and no paths. A compiled
# predicate answers that, and only a value it refuses goes through check() for the messages.
# Both must agree on what is valid: tests/runtime/test_schema_fast.py holds them to it.

Predicate = Callable[[Any], bool]


def compile_valid(schema: Mapping[str, Any], resolve: Resolver | None = None) -> Predicate:
    """A predicate that is True exactly when ``check(value, schema, resolve)`` finds nothing."""
    if "$ref" in schema:
        if resolve is None:
            return lambda _v: False
        try:
            target = resolve(schema["$ref"])
        except KeyError:
            return lambda _v: False
        cell: list[Predicate] = []  # types may refer to themselves: compile on first use

        def referenced(value: Any) -> bool:
            if not cell:
                cell.append(compile_valid(target, resolve))
            return cell[0](value)
        return referenced
    tests: list[Predicate] = []
    expected = schema.get("type")
    if expected is not None:
        kinds = [_TYPE_CHECKS.get(n, lambda _v: True)
                 for n in (expected if isinstance(expected, list) else [expected])]
        tests.append(kinds[0] if len(kinds) == 1 else lambda v: any(k(v) for k in kinds))
    if "enum" in schema:
        allowed = schema["enum"]
        tests.append(lambda v: v in allowed)
    tests += _number_tests(schema) + _string_tests(schema)
    if schema.get("properties") or schema.get("required") or "additionalProperties" in schema:
        tests.append(_object_test(schema, resolve))
    if any(k in schema for k in ("items", "minItems", "maxItems")):
        tests.append(_array_test(schema, resolve))
    if not tests:
        return lambda _v: True
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(t(v) for t in tests)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_tests(schema: Mapping[str, Any]) -> list[Predicate]:
    bounds = [(schema[k], op) for k, op in (  # the negations of check()'s, NaN included
        ("minimum", lambda v, b: not v < b), ("maximum", lambda v, b: not v > b),
        ("exclusiveMinimum", lambda v, b: not v <= b),
        ("exclusiveMaximum", lambda v, b: not v >= b)) if k in schema]
    if not bounds:
        return []
    return [lambda v: not _is_number(v) or all(op(v, b) for b, op in bounds)]


def _string_tests(schema: Mapping[str, Any]) -> list[Predicate]:
    tests: list[Predicate] = []
    if "minLength" in schema:
        tests.append(lambda v, n=schema["minLength"]: not isinstance(v, str) or len(v) >= n)
    if "maxLength" in schema:
        tests.append(lambda v, n=schema["maxLength"]: not isinstance(v, str) or len(v) <= n)
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        tests.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    return tests


def _object_test(schema: Mapping[str, Any], resolve: Resolver | None) -> Predicate:
    properties = {name: compile_valid(sub, resolve)
                  for name, sub in (schema.get("properties") or {}).items()}
    required = list(schema.get("required", []))
    extra = schema.get("additionalProperties", True)
    extra_valid = compile_valid(extra, resolve) if isinstance(extra, Mapping) else None

    def valid(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            test = properties.get(name)
            if test is not None:
                if not test(item):
                    return False
            elif extra is False or (extra_valid is not None and not extra_valid(item)):
                return False
        return True
    return valid


def _array_test(schema: Mapping[str, Any], resolve: Resolver | None) -> Predicate:
    low, high = schema.get("minItems"), schema.get("maxItems")
    items = schema.get("items")
    item_valid = compile_valid(items, resolve) if isinstance(items, Mapping) else None

    def valid(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            return False
        return item_valid is None or all(item_valid(item) for item in value)
    return valid
