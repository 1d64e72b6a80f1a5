"""Fixtures of the layer checks: host tools, and pycharge staged as the recipe installs it.

The layer checks need host tools (oelint-adv, kas, shellcheck, systemd-analyze), found only where
.ci/run installs them (tests/support/host_tools.py). Where one is missing the check is skipped
with the reason, except in CI (``CI`` set), where a missing tool is a failure: CI must never pass
by not checking.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.layer.staging import Staged, stage
from tests.support import host_tools


def require(tool: str, *, module: bool = False) -> str:
    """The path of program ``tool`` (or the name of Python module ``tool``); skips, and fails in
    CI, when it is not where .ci/run installs it."""
    if module:
        found = tool if importlib.util.find_spec(tool) is not None else None
        how = "pip install -e '.[dev]'"
    else:
        found, how = host_tools.find(tool), host_tools.where(tool)
    if found:
        return found
    message = f"{tool} is not installed ({how})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Staged:
    """pycharge, pycharge-ptest, configs, unit and init script under a temporary root."""
    return stage(tmp_path_factory.mktemp("staging"))
