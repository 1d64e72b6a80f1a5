"""EnergyNode and EnergyManager on a real broker, with a test double as the EVSE."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pycharge.runtime.manager import Manager
from tests.conftest import Mosquitto
from tests.modules.energy.requests import api_limit
from tests.modules.energy.support import call
from tests.support.clocks import ManualClock
from tests.support.probe import Probe
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until

DOUBLES = Path(__file__).parent / "doubles"
CONFIG = {"active_modules": {
    "evse": {"module": "FakeEnergyConsumer"},
    "grid": {"module": "EnergyNode", "config_module": {"fuse_limit_A": 16, "phase_count": 3},
             "connections": {"energy_consumer": [{"module_id": "evse",
                                                  "implementation_id": "energy_grid"}]}},
    "em": {"module": "EnergyManager",
           "connections": {"energy_trunk": [{"module_id": "grid",
                                             "implementation_id": "energy_grid"}]}},
}}


def last_limit(stack: Manager) -> dict[str, Any] | None:
    enforced = stack.host("evse").module.enforced
    return enforced[-1]["limits_root_side"]["ac_max_current_A"] if enforced else None


def wait_for_limit(stack: Manager, amps: float, timeout: float = 10.0) -> dict[str, Any]:
    limit = wait_until(lambda: (last_limit(stack) or {}).get("value") == amps and last_limit(stack),
                       timeout, f"{amps} A at the EVSE")
    return limit


@pytest.fixture
def stack(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Manager]:
    with running(write_config(tmp_path, CONFIG), mosquitto.address, [DOUBLES]) as manager:
        yield manager


def test_the_evse_gets_the_fuse_limit_every_second(stack: Manager) -> None:
    assert wait_for_limit(stack, 16.0) == {"value": 16.0, "source": "grid/module_config"}
    enforced = stack.host("evse").module.enforced
    count = len(enforced)
    wait_until(lambda: len(enforced) >= count + 2, 5, "two more updates")
    assert {e["valid_for"] for e in enforced} == {10}
    assert {e["uuid"] for e in enforced} == {"evse"}


def test_external_limits_reach_the_evse_and_the_last_caller_wins(stack: Manager,
                                                                 probe: Probe) -> None:
    wait_for_limit(stack, 16.0)
    assert "error" not in call(stack, probe, "grid", "external_limits", "set_external_limits",
                               value=api_limit(10))
    assert wait_for_limit(stack, 10.0)["source"] == "API_module"
    call(stack, probe, "grid", "external_limits", "set_external_limits", value=api_limit(13))
    wait_for_limit(stack, 13.0)


def test_a_malformed_external_limit_is_refused_and_changes_nothing(stack: Manager,
                                                                  probe: Probe) -> None:
    call(stack, probe, "grid", "external_limits", "set_external_limits", value=api_limit(10))
    wait_for_limit(stack, 10.0)
    bad = api_limit(3)
    bad["schedule_import"][0]["limits_to_leaves"]["ac_max_current_A"]["value"] = "three"
    answer = call(stack, probe, "grid", "external_limits", "set_external_limits", value=bad)
    assert answer["error"]["type"] == "SchemaValidationError"
    enforced = stack.host("evse").module.enforced
    count = len(enforced)
    wait_until(lambda: len(enforced) >= count + 2, 5, "two more updates")
    assert last_limit(stack)["value"] == 10.0
    assert stack.status()["grid"]["restarts"] == 0


@pytest.fixture
def clocked(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[Manager, ManualClock]]:
    clock = ManualClock(1000.0)
    with running(write_config(tmp_path, CONFIG), mosquitto.address, [DOUBLES],
                 clock=clock) as manager:
        yield manager, clock


def test_limits_stop_when_requests_stop_on_the_monotonic_clock(
        clocked: tuple[Manager, ManualClock]) -> None:
    stack, clock = clocked
    manager = stack.host("em").module
    wait_until(lambda: manager._request and manager._request["children"],
               what="the tree's first request with the EVSE in it")
    manager.submit(manager.update)
    wait_for_limit(stack, 16.0)
    clock.advance(10.0)  # exactly valid_for: still trusted
    manager.submit(manager.update)
    enforced = stack.host("evse").module.enforced
    count = len(enforced)
    wait_until(lambda: len(enforced) > count, what="an update at 10 s")
    assert last_limit(stack)["value"] == 16.0
    clock.advance(0.5)
    manager.submit(manager.update)
    assert wait_for_limit(stack, 0.0)["source"] == "em/request_expired"
    received = manager._received_at
    evse = stack.host("evse").module
    evse.submit(evse.publish_request)
    wait_until(lambda: manager._received_at > received, what="a fresh request")
    manager.submit(manager.update)
    wait_for_limit(stack, 16.0)


def test_the_energy_manager_switches_an_evse_to_one_phase_and_back(tmp_path: Path,
                                                                   mosquitto: Mosquitto,
                                                                   probe: Probe) -> None:
    """switch_3ph1ph_while_charging_mode Both: a power limit too low for 6 A on three phases
    gives one phase, a high one three again (no time hysteresis here)."""
    config = copy.deepcopy(CONFIG)
    config["active_modules"]["evse"]["config_module"] = {"min_phase_count": 1}
    config["active_modules"]["em"]["config_module"] = {
        "switch_3ph1ph_while_charging_mode": "Both", "switch_3ph1ph_time_hysteresis_s": 0}
    with running(write_config(tmp_path, config), mosquitto.address, [DOUBLES]) as stack:
        def phases() -> int | None:
            enforced = stack.host("evse").module.enforced
            return enforced[-1]["limits_root_side"]["ac_max_phase_count"]["value"] \
                if enforced else None

        call(stack, probe, "grid", "external_limits", "set_external_limits",
             value=api_limit(3000, "W"))
        wait_until(lambda: phases() == 1, 10, "one phase at 3000 W")
        assert last_limit(stack)["value"] == pytest.approx(3000 / 230, abs=0.01)
        call(stack, probe, "grid", "external_limits", "set_external_limits",
             value=api_limit(11000, "W"))
        wait_until(lambda: phases() == 3, 10, "three phases at 11000 W")
        assert last_limit(stack)["value"] == pytest.approx(11000 / 690, abs=0.01)
