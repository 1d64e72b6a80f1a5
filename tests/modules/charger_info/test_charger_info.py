"""YamlStore and ChargerInfo on a real broker, as bsp-only.yaml of 2026 wires them.

YamlStore answers from its YAML file and never writes it; ChargerInfo merges the chained
information, its stores (the last one wins) and the firmware version file, as EVerest does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycharge.modules.YamlStore.module import read_store
from tests.conftest import Mosquitto
from tests.modules.energy.support import call
from tests.support.probe import Probe
from tests.support.stack import running, write_config

BOARD_FILE = """\
vendor: chargebyte
model: Charge Control C
chargepoint_serial: "0123"
manufacturer: chargebyte GmbH
firmware_version: from-the-store
board_revision: 1   # not text: ignored
"""


def kvs(path: Path) -> dict[str, Any]:
    return {"module": "YamlStore", "config_module": {"file": str(path)}}


def charger_info(stores: list[str], firmware: str = "", chained: str = "") -> dict[str, Any]:
    connections: dict[str, Any] = {"kvs": [{"module_id": s, "implementation_id": "main"}
                                           for s in stores]}
    if chained:
        connections["charger_information"] = [{"module_id": chained, "implementation_id": "main"}]
    return {"module": "ChargerInfo", "config_module": {"firmware_version_file": firmware},
            "connections": connections}


def test_yaml_store_reads_its_file_and_never_writes_it(tmp_path: Path, mosquitto: Mosquitto,
                                                       probe: Probe) -> None:
    store = tmp_path / "charger_info.yaml"
    store.write_text(BOARD_FILE)
    config = {"active_modules": {"kvs": kvs(store)}}
    with running(write_config(tmp_path, config), mosquitto.address) as stack:
        def kvs_call(cmd: str, **args: Any) -> Any:
            answer = call(stack, probe, "kvs", "main", cmd, **args)
            assert "error" not in answer, answer
            return answer.get("retval")
        assert kvs_call("load", key="chargepoint_serial") == "0123"
        assert kvs_call("load", key="board_revision") == 1
        assert kvs_call("exists", key="vendor") is True
        assert kvs_call("exists", key="nothing") is False
        assert kvs_call("load", key="nothing") is None
        kvs_call("store", key="vendor", value="someone else")
        kvs_call("delete", key="model")
        assert kvs_call("load", key="vendor") == "chargebyte"
        assert kvs_call("exists", key="model") is True
    assert store.read_text() == BOARD_FILE


def test_charger_info_merges_chain_stores_and_firmware_file(tmp_path: Path, mosquitto: Mosquitto,
                                                            probe: Probe) -> None:
    (tmp_path / "base.yaml").write_text("vendor: Base\nmodel: Base model\nmodel_url: http://b\n")
    (tmp_path / "board.yaml").write_text(BOARD_FILE)
    (tmp_path / "override.yaml").write_text("model: Charge Control C2\n")
    (tmp_path / "VERSION").write_text("4.2.0-rc1\nbuilt on a Tuesday\n")
    config = {"active_modules": {
        "base": kvs(tmp_path / "base.yaml"), "board": kvs(tmp_path / "board.yaml"),
        "override": kvs(tmp_path / "override.yaml"),
        "first": charger_info(["base"]),
        "info": charger_info(["board", "override"], str(tmp_path / "VERSION"), chained="first"),
    }}
    with running(write_config(tmp_path, config), mosquitto.address) as stack:
        answer = call(stack, probe, "info", "main", "get_charger_information")
    assert answer.get("retval") == {
        "vendor": "chargebyte", "model": "Charge Control C2", "model_url": "http://b",
        "chargepoint_serial": "0123", "manufacturer": "chargebyte GmbH",
        "firmware_version": "4.2.0-rc1",
        "friendly_name": "chargebyte Charge Control C2 [0123]"}, answer


def test_missing_files_leave_the_information_incomplete_not_the_stack_dead(
        tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> None:
    """bsp-only.yaml's /etc/everest/charger_info.yaml and /usr/share/secc/VERSION may be absent:
    the stack runs, the command says what is missing (vendor and model are required)."""
    config = {"active_modules": {
        "kvs": kvs(tmp_path / "absent.yaml"),
        "info": charger_info(["kvs"], str(tmp_path / "absent-VERSION"))}}
    with running(write_config(tmp_path, config), mosquitto.address) as stack:
        answer = call(stack, probe, "info", "main", "get_charger_information")
        assert "vendor" in answer["error"]["message"], answer
        assert stack.host("info").failure is None


def test_a_file_that_is_not_a_mapping_gives_an_empty_store(tmp_path: Path) -> None:
    complaints: list[str] = []
    for name, text in (("list.yaml", "- a\n- b\n"), ("broken.yaml", "a: [1,\n")):
        (tmp_path / name).write_text(text)
        assert read_store(str(tmp_path / name), lambda *a: complaints.append(a[0] % a[1:])) == {}
    assert (tmp_path / "empty.yaml").write_text("") == 0
    assert read_store(str(tmp_path / "empty.yaml"), complaints.append) == {}
    assert len(complaints) == 2
    assert "list.yaml" in complaints[0] and "must be a mapping" in complaints[0]
    assert "broken.yaml" in complaints[1]
