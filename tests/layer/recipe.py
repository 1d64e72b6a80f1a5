"""Reading the layer's recipes the little way the tests need: plain assignments, no expansion.

Enough for variables written as literal lists (RDEPENDS, PYCHARGE_CONFIGS, ...); anything that
needs BitBake's expansion is checked by the real BitBake run (bb-parse-check.sh) instead.
"""

from __future__ import annotations

import re
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
LAYER = CHECKOUT / "meta-pycharge"
RECIPE_DIR = LAYER / "recipes-charging" / "pycharge"
FILES = RECIPE_DIR / "files"
RELEASES = ("kirkstone", "scarthgap")

_ASSIGNMENT = re.compile(r'^([A-Za-z0-9_${}:.\-]+)\s*(=|\+=|\?=|\?\?=|:=|\.=)\s*"(.*?)"\s*$',
                         re.MULTILINE | re.DOTALL)


def recipe() -> Path:
    """The one pycharge recipe (its file name carries the version)."""
    found = sorted(RECIPE_DIR.glob("pycharge_*.bb"))
    assert len(found) == 1, f"expected one pycharge_<version>.bb in {RECIPE_DIR}, found {found}"
    return found[0]


def logical_lines(path: Path) -> str:
    """The file with comments dropped and backslash continuations joined."""
    text = "\n".join(line for line in path.read_text().splitlines()
                     if not line.lstrip().startswith("#"))
    return re.sub(r"\\\n", " ", text)


def values(path: Path, variable: str) -> list[str]:
    """Every word assigned (=, +=, ?=, ...) to ``variable`` in ``path``, in order."""
    words: list[str] = []
    for name, _operator, value in _ASSIGNMENT.findall(logical_lines(path)):
        if name == variable:
            words += value.split()
    return words


def shell_function(path: Path, name: str) -> str:
    """The body of the shell function ``name() { ... }`` (up to the closing brace at column 0)."""
    match = re.search(rf"^{re.escape(name)}\s*\(\)\s*\{{\n(.*?)^\}}", path.read_text(),
                      re.MULTILINE | re.DOTALL)
    assert match, f"{path.name} has no function {name}"
    return match.group(1)
