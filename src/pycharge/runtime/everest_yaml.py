"""YAML read the way EVerest reads its config files, not the YAML 1.1 way PyYAML does.

EVerest's loader (rapidyaml, ``lib/everest/yaml/lib/yaml_loader.cpp``) gives an unquoted scalar
a type only when it is a decimal number, ``true`` or ``false``, or null; everything else is a
string. PyYAML follows YAML 1.1, where ``no``, ``off``, ``yes`` and ``on`` are booleans, ``012``
is octal, ``1:30`` is 90 and ``2026-01-01`` is a date. chargebyte's configs write
``contactor_1_feedback_type: no`` for a normally-open contact, so the difference decides
whether a config that runs under EVerest runs here. Mapping keys are always text, as in EVerest.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"

# The words PyYAML would have read as booleans: named in errors, because they look like one.
YAML11_BOOLEANS = frozenset(f(word) for word in ("yes", "no", "on", "off", "true", "false")
                            for f in (str.lower, str.capitalize, str.upper)) - {"true", "false"}


class EverestLoader(yaml.SafeLoader):
    """A safe loader whose implicit types are EVerest's: decimal numbers, true/false, null."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in (_NULL, _MERGE)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                key_node.tag = _STR
        return super().construct_mapping(node, deep=deep)

    def construct_decimal_int(self, node: yaml.ScalarNode) -> int:
        """Base 10 always: EVerest reads ``012`` as 12, not as YAML 1.1's octal 10."""
        return int(self.construct_scalar(node))

    def construct_decimal_float(self, node: yaml.ScalarNode) -> float:
        return float(self.construct_scalar(node))


EverestLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|false)$"), list("tf"))
EverestLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
EverestLoader.add_implicit_resolver(
    _FLOAT, re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."))
EverestLoader.add_constructor(_INT, EverestLoader.construct_decimal_int)
EverestLoader.add_constructor(_FLOAT, EverestLoader.construct_decimal_float)


def load(text: str) -> Any:
    """Parse ``text`` as EVerest's config loader would."""
    return yaml.load(text, Loader=EverestLoader)  # a SafeLoader: builds no Python objects
