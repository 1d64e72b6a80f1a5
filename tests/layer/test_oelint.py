"""oelint-adv finds nothing in the layer, for every release it supports (suppressions are
inline, each with its reason). bbappends are not discovered by oelint-adv: all files are named.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.layer import recipe
from tests.layer.conftest import require


def layer_files() -> list[str]:
    files = [p for pattern in ("*.bb", "*.bbappend", "*.bbclass")
             for p in recipe.LAYER.rglob(pattern)]
    return sorted(str(p) for p in [*files, recipe.LAYER / "conf" / "layer.conf"])


@pytest.mark.parametrize("release", recipe.RELEASES)
def test_oelint_adv_is_clean(release: str) -> None:
    oelint_adv = require("oelint-adv")
    result = subprocess.run([oelint_adv, "--quiet", "--release", release, *layer_files()],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "OELINT_SKIP_CONFIG": "1"})
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_every_recipe_kind_is_linted() -> None:
    names = {p.rsplit("/", 1)[-1] for p in layer_files()}
    assert {"layer.conf", "pycharge_source.bbclass", "mosquitto_%.bbappend",
            "packagegroup-pycharge.bb", "pycharge-image.bb", recipe.recipe().name} <= names
