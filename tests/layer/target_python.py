"""A Python interpreter that holds what the image's python3 holds for pycharge, and nothing else.

The staged package and its ptest run with this interpreter, never with the host's python3: a
venv without pip whose only third-party packages are those the recipe's RDEPENDS name (and what
they depend on, as their own recipes would pull in), linked from the interpreter that runs the
tests. A runtime dependency missing from RDEPENDS thus fails here as it would on the board.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import sysconfig
from pathlib import Path

from packaging.requirements import Requirement

from tests.layer import recipe

# The recipe names of the third-party packages, and the distribution each installs.
DISTRIBUTIONS = {
    "python3-hypothesis": "hypothesis",
    "python3-ocpp": "ocpp",
    "python3-paho-mqtt": "paho-mqtt",
    "python3-periphery": "python-periphery",
    "python3-pytest": "pytest",
    "python3-pyyaml": "PyYAML",
    "python3-websockets": "websockets",
}


def packages(bb: Path) -> list[str]:
    """The third-party recipe packages that pycharge and pycharge-ptest depend on."""
    names = recipe.values(bb, "RDEPENDS:${PN}") + recipe.values(bb, "RDEPENDS:${PN}-ptest")
    return [name for name in names if name in DISTRIBUTIONS]


def closure(names: list[str]) -> list[importlib.metadata.Distribution]:
    """The distributions and everything they require on this Python (markers evaluated)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        distribution = importlib.metadata.distribution(name)
        key = distribution.metadata["Name"].lower().replace("_", "-")
        if key in found:
            continue
        found[key] = distribution
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return list(found.values())


def top_level(distribution: importlib.metadata.Distribution) -> set[str]:
    """The names a distribution puts directly into site-packages (packages, modules, dist-info)."""
    names = set()
    for file in distribution.files or []:
        first = file.parts[0]
        if first not in ("..", "__pycache__") and not first.endswith(".pth"):
            names.add(first)
    return names


def create(directory: Path) -> Path:
    """The interpreter's bin directory (put it first on PATH: ``python3`` is then this one)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(directory),
                                                     "platbase": str(directory)}))
    for distribution in closure([DISTRIBUTIONS[p] for p in packages(recipe.recipe())]):
        root = Path(distribution.locate_file(""))
        for name in top_level(distribution):
            source = root / name
            if source.exists() and not (site / name).exists():
                (site / name).symlink_to(source)
    return directory / "bin"
