"""A running API stack: a fake EvseManager, the energy tree, optionally the error history."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pycharge.runtime.manager import Manager
from tests.conftest import Mosquitto
from tests.support.probe import Probe
from tests.support.stack import running, write_config

DOUBLES = Path(__file__).parent / "doubles"


def api_config(publish_ready: bool = True, history: Path | None = None) -> dict[str, Any]:
    api: dict[str, Any] = {"module": "API", "connections": {
        "evse_manager": [{"module_id": "evse", "implementation_id": "evse"}],
        "evse_energy_sink": [{"module_id": "grid", "implementation_id": "external_limits"}],
        "random_delay": [{"module_id": "evse", "implementation_id": "random_delay"}]}}
    modules: dict[str, Any] = {
        "evse": {"module": "FakeEvseManager", "config_module": {"publish_ready": publish_ready}},
        "grid": {"module": "EnergyNode", "config_module": {"fuse_limit_A": 16, "phase_count": 3},
                 "connections": {"energy_consumer": [{"module_id": "evse",
                                                      "implementation_id": "energy_grid"}]}},
        "em": {"module": "EnergyManager", "connections": {
            "energy_trunk": [{"module_id": "grid", "implementation_id": "energy_grid"}]}},
        "api": api,
    }
    if history is not None:
        modules["history"] = {"module": "ErrorHistory", "config_implementation": {
            "error_history": {"database_path": str(history)}}}
        api["connections"]["error_history"] = [{"module_id": "history",
                                                "implementation_id": "error_history"}]
    return {"active_modules": modules}


class Api:
    """The running stack seen from outside: publish commands, read the API's topics."""

    def __init__(self, stack: Manager, probe: Probe) -> None:
        self.stack = stack
        self.probe = probe
        self.prefix = stack.config.settings.mqtt_external_prefix + "everest_api/"
        probe.subscribe(self.prefix + "#")
        self.evse = stack.host("evse").module

    def command(self, name: str, payload: str) -> None:
        self.probe.publish(f"{self.prefix}evse/cmd/{name}", payload)

    def latest(self, topic: str, check: Callable[[Any], Any] = bool, timeout: float = 10.0) -> Any:
        """The newest payload on ``everest_api/<topic>`` that passes ``check`` (JSON if it parses)."""
        def newest(messages: list[tuple[str, bytes]]) -> Any:
            for t, p in reversed(messages):
                if t == self.prefix + topic:
                    try:
                        value = json.loads(p)
                    except ValueError:
                        value = p.decode()
                    return (value,) if check(value) else None
            return None
        return self.probe.wait_for(newest, timeout)[0]

    def emit(self, event: str, **details: Any) -> None:
        self.evse.submit(lambda: self.evse.event(event, **details))


@pytest.fixture
def api(tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> Iterator[Api]:
    with running(write_config(tmp_path, api_config()), mosquitto.address, [DOUBLES]) as stack:
        yield Api(stack, probe)
