"""Interface, type and error definitions; the schema checker behind every boundary check."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycharge.runtime import schema
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.usererror import UserError

TYPES = {"Point": {"type": "object", "required": ["x"], "additionalProperties": False,
                   "properties": {"x": {"type": "number", "minimum": 0},
                                  "tag": {"type": "string", "enum": ["a", "b"]}}}}


def resolve(ref: str) -> dict:
    return TYPES[ref.split("#/")[1]]


@pytest.mark.parametrize(("value", "problems"), [
    ({"x": 1, "tag": "a"}, []),
    ({"x": -1}, ["p.x: -1 is below the minimum 0"]),
    ({"tag": "c"}, ["p: missing required property 'x'", "p.tag: 'c' is not one of 'a', 'b'"]),
    ({"x": 1, "y": 2}, ["p: unknown property 'y'"]),
    ([1], ["p: expected object, got array [1]"]),
    ({"x": True}, ["p.x: expected number, got boolean True"]),
])
def test_schema_problems_name_the_place(value: object, problems: list[str]) -> None:
    assert schema.check(value, {"$ref": "/geo#/Point"}, resolve, "p") == problems


def test_an_unknown_type_is_a_problem_not_a_crash() -> None:
    assert schema.check(1, {"$ref": "/geo#/Nothing"}, resolve, "p") == [
        "p: unknown type /geo#/Nothing"]


def test_integers_may_be_written_as_whole_floats() -> None:
    assert schema.check(3.0, {"type": "integer"}) == []
    assert schema.check(3.5, {"type": "integer"}) == ["value: expected integer, got number 3.5"]


def test_every_reference_of_the_package_resolves() -> None:
    definitions = Definitions.load()
    assert "evse_board_support" in definitions.interfaces
    assert "evse_board_support/DiodeFault" in definitions.interfaces["evse_board_support"].errors


def test_a_dangling_reference_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "interfaces").mkdir()
    (tmp_path / "interfaces" / "broken.yaml").write_text(
        "description: d\nvars:\n  v: {description: d, type: object, $ref: /nowhere#/Thing}\n")
    with pytest.raises(UserError, match=r"broken.yaml: refers to unknown type /nowhere#/Thing"):
        Definitions.load([tmp_path])
