"""chargebyte's bsp-only.yaml of 2026 (with RpcApi, ChargerInfo and YamlStore) on the simulated
board: it runs unchanged but for what lets tests share a machine (MQTT prefixes, the error
database, a free WebSocket port), and a session charges, watched through the RpcApi.

Its ``/etc/everest/charger_info.yaml`` and ``/usr/share/secc/VERSION`` do not exist here, as on
a board nobody has set up: the stack runs regardless and API.Hello says "unknown".
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import yaml

from tests.conftest import Mosquitto, free_port
from tests.modules.RpcApi.client import RpcClient
from tests.sil.stack import sil_stack


def bsp_only_2026() -> dict:
    path = importlib.resources.files("pycharge.configs").joinpath("bsp-only-2026.yaml")
    return yaml.safe_load(path.read_text())


def test_the_2026_copy_is_chargebytes_file() -> None:
    chargebytes = {"api", "rpc_api", "charger_info", "kvs", "bsp", "tarragon_dig_in_ref",
                   "connector", "energy_manager", "grid_connection_point", "error_history"}
    config = bsp_only_2026()
    assert set(config["active_modules"]) == chargebytes
    assert config["active_modules"]["kvs"] == {
        "module": "YamlStore", "config_module": {"file": "/etc/everest/charger_info.yaml"}}


def test_a_session_charges_and_the_rpc_api_follows_it(tmp_path: Path, mosquitto: Mosquitto
                                                      ) -> None:
    config = bsp_only_2026()
    port = free_port()
    config["active_modules"]["rpc_api"].setdefault("config_module", {})["websocket_port"] = port
    with sil_stack(tmp_path, mosquitto, config) as sil:
        assert sil.manager.host("rpc_api").module.server.listening.wait(10)
        rpc = RpcClient(port)
        hello = rpc.result("API.Hello")
        assert hello["charger_info"]["vendor"] == "unknown"
        assert hello["charger_info"]["firmware_version"] == "unknown"
        assert rpc.result("EVSE.GetStatus", evse_index=1)["status"]["state"] == "Unplugged"
        sil.plug_in_and_charge()
        sil.wait_current(16.0, since=0)
        rpc.wait_notification("EVSE.StatusChanged",
                              lambda p: p["evse_status"]["state"] == "Charging")
        rpc.wait_notification("EVSE.MeterDataChanged",
                              lambda p: p["meter_data"]["energy_Wh_import"]["total"] > 0)
        since = sil.now()
        assert rpc.result("EVSE.SetACChargingCurrent", evse_index=1, max_current=10.0) == {
            "error": "NoError"}
        sil.wait_current(10.0, since)
        assert rpc.result("EVSE.GetStatus", evse_index=1)["status"]["state"] == "Charging"
        rpc.close()
