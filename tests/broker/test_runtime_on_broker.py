"""The pycharge runtime on the embedded broker, as ``pycharge run --sim`` uses it."""

from __future__ import annotations

from pathlib import Path

from pycharge.broker import EmbeddedBroker
from pycharge.runtime.mqtt import BrokerAddress
from tests.conftest import EXAMPLE_MODULES
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until

CONFIG = {
    "active_modules": {
        "provider": {"module": "ExampleProvider"},
        "user": {"module": "ExampleUser",
                 "connections": {"provider": [{"module_id": "provider",
                                               "implementation_id": "main"}]}},
    }
}


def test_command_round_trip_and_variables(tmp_path: Path, broker: EmbeddedBroker) -> None:
    path = write_config(tmp_path, CONFIG)
    with running(path, BrokerAddress("127.0.0.1", broker.port), [EXAMPLE_MODULES]) as manager:
        user = manager.host("user").module
        wait_until(lambda: user.ready_results, what="user ready")
        assert user.ready_results == [5.0]
        assert user.connection("provider").call("add", a=1, b=2) == 3.0
        wait_until(lambda: len(user.seen_counter) >= 3, what="three counter values")
