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


@pytest.fixture
def stack(tmp_path: Path, broker: Mosquitto) -> Iterator[Manager]:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    with running(path, broker.address, [EXAMPLE_MODULES], watchdog=1.0,
                 command_timeout=3.0) as manager:
        wait_until(lambda: manager.host("user").module.ready_results, what="user ready")
        yield manager
