"""A running example stack (ExampleProvider + ExampleUser) for bus and manager tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pycharge.runtime.manager import Manager
from tests.conftest import EXAMPLE_MODULES, Mosquitto
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until

EXAMPLE_CONFIG = {
    "active_modules": {
        "provider": {"module": "ExampleProvider",
                     "config_implementation": {"main": {"scale": 2.0}}},
        "user": {"module": "ExampleUser",
                 "connections": {"provider": [{"module_id": "provider",
                                               "implementation_id": "main"}]}},
    }
}


WATCHDOG_S = 10.0  # generous: a slow machine (an emulated ARM) must not look hung


@pytest.fixture
def watchdog() -> float:
    """The module watchdog of the ``stack``; a test module may override it."""
    return WATCHDOG_S


@pytest.fixture
def stack(tmp_path: Path, broker: Mosquitto, watchdog: float) -> Iterator[Manager]:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    with running(path, broker.address, [EXAMPLE_MODULES], watchdog=watchdog) as manager:
        wait_until(lambda: manager.host("user").module.ready_results, timeout=60,
                   what="user ready")
        yield manager
