"""Fixtures of the layer checks: host tools, and pycharge staged as the recipe installs it.

The layer checks need host tools (oelint-adv, kas, shellcheck, systemd-analyze). Where one is
missing the check is skipped with the reason, except in CI (``CI`` set), where a missing tool
is a failure: CI must never pass by not checking.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from tests.layer.staging import Staged, stage


def require(tool: str, *, module: bool = False) -> None:
    """Skip (fail in CI) unless the program or Python module ``tool`` is available."""
    present = importlib.util.find_spec(tool) is not None if module else shutil.which(tool)
    if present:
        return
    message = f"{tool} is not installed (pip install -e '.[dev]' or the distribution package)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Staged:
    """pycharge, pycharge-ptest, configs, unit and init script under a temporary root."""
    return stage(tmp_path_factory.mktemp("staging"))
