"""ErrorHistory on a real broker: it records the errors other modules raise and clear."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pycharge.runtime.manager import Manager
from tests.conftest import EXAMPLE_MODULES, Mosquitto
from tests.modules.energy.support import call
from tests.support.probe import Probe
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until


def config(database: Path) -> dict[str, Any]:
    return {"active_modules": {
        "provider": {"module": "ExampleProvider"},
        "history": {"module": "ErrorHistory", "config_implementation": {
            "error_history": {"database_path": str(database)}}},
    }}


def get_errors(stack: Manager, probe: Probe, **filters: Any) -> list[dict[str, Any]]:
    answer = call(stack, probe, "history", "error_history", "get_errors", filters=filters)
    assert "error" not in answer, answer
    return answer["retval"]


def states(stack: Manager, probe: Probe, **filters: Any) -> list[tuple[str, str, str]]:
    return [(e["type"], e["sub_type"], e["state"]) for e in get_errors(stack, probe, **filters)]


def stack_for(tmp_path: Path, mosquitto: Mosquitto, database: Path, name: str
              ) -> Iterator[Manager]:
    path = write_config(tmp_path, config(database), name)
    return running(path, mosquitto.address, [EXAMPLE_MODULES])


def test_raised_and_cleared_errors_are_recorded_and_survive_a_restart(
        tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> None:
    database = tmp_path / "errors.db"
    with stack_for(tmp_path, mosquitto, database, "first.yaml") as stack:
        call(stack, probe, "provider", "main", "set_error", active=True, sub_type="a")
        call(stack, probe, "provider", "main", "set_error", active=True, sub_type="b")
        wait_until(lambda: len(get_errors(stack, probe)) == 2, what="two errors recorded")
        call(stack, probe, "provider", "main", "set_error", active=False, sub_type="a")
        wait_until(lambda: states(stack, probe, state_filter="Active") == [
            ("example/Broken", "b", "Active")], what="a cleared, b active")
        [recorded] = get_errors(stack, probe, state_filter="Active")
        assert recorded["origin"] == {"module_id": "provider", "implementation_id": "main"}
        assert recorded["message"] == "broken on request"
    # a new prefix: nothing retained from the first run, as after a reboot
    with stack_for(tmp_path, mosquitto, database, "second.yaml") as stack:
        assert states(stack, probe) == [("example/Broken", "a", "ClearedByModule"),
                                        ("example/Broken", "b", "ClearedByReboot")]


def test_a_module_fault_is_part_of_the_history(tmp_path: Path, mosquitto: Mosquitto,
                                               probe: Probe) -> None:
    with stack_for(tmp_path, mosquitto, tmp_path / "errors.db", "config.yaml") as stack:
        call(stack, probe, "provider", "main", "die")
        wait_until(lambda: ("runtime/ModuleFault", "", "ClearedByModule") in states(
            stack, probe, type_filter="runtime/ModuleFault"), 15, "the fault and its end recorded")


def test_an_unusable_database_does_not_stop_the_stack(tmp_path: Path, mosquitto: Mosquitto,
                                                      probe: Probe) -> None:
    database = tmp_path / "errors.db"
    database.write_bytes(b"this is no database" * 100)
    with stack_for(tmp_path, mosquitto, database, "config.yaml") as stack:
        assert not stack.host("history").module.store.persistent
        call(stack, probe, "provider", "main", "set_error", active=True, sub_type="c")
        wait_until(lambda: states(stack, probe) == [("example/Broken", "c", "Active")],
                   what="the error kept in memory")
        assert stack.status()["history"] == {"ready": True, "restarts": 0, "running": True}
