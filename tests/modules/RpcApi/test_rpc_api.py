"""RpcApi in a real stack (fake EvseManager, energy tree) with a real WebSocket client.

Requests are answered as EVerest's RpcApi answers them; every malformed request gets its
JSON-RPC error and the module keeps running; limits reach the energy node, enable/disable and
pause/resume reach the EvseManager; notifications follow what the EvseManager publishes.
"""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import Mosquitto, free_port
from tests.modules.api.conftest import DOUBLES, api_config
from tests.modules.api.doubles.FakeEvseManager.module import meter
from tests.modules.RpcApi.client import RpcClient
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until

CAPS = {"max_current_A_import": 32.0, "min_current_A_import": 6.0, "max_phase_count_import": 3,
        "min_phase_count_import": 1, "max_current_A_export": 0.0, "min_current_A_export": 0.0,
        "max_phase_count_export": 3, "min_phase_count_export": 1,
        "supports_changing_phases_during_charging": True, "supports_cp_state_E": True,
        "connector_type": "IEC62196Type2Cable"}


class Rig:
    def __init__(self, stack: Any, port: int) -> None:
        self.stack, self.port = stack, port
        self.evse = stack.host("evse").module
        self.rpc = stack.host("rpc").module
        assert self.rpc.server.listening.wait(10)
        self.client = RpcClient(port)
        wait_until(lambda: self.client.result("ChargePoint.GetEVSEInfos")["infos"] or None, 10,
                   "the EVSE to be known")

    def emit(self, event: str, **details: Any) -> None:
        self.evse.submit(lambda: self.evse.event(event, **details))

    def publish(self, var: str, value: Any) -> None:
        self.evse.submit(lambda: self.evse.publish(var, value))

    def calls(self, cmd: str) -> list[dict[str, Any]]:
        return [args for name, args in list(self.evse.calls) if name == cmd]


@pytest.fixture
def rig(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Rig]:
    config = api_config()
    port = free_port()
    connections = config["active_modules"].pop("api")["connections"]
    connections.pop("random_delay")  # the API's, which RpcApi does not have
    config["active_modules"]["rpc"] = {
        "module": "RpcApi", "config_module": {"websocket_port": port},
        "connections": connections}
    with running(write_config(tmp_path, config), mosquitto.address, [DOUBLES]) as stack:
        rig = Rig(stack, port)
        yield rig
        rig.client.close()
        assert stack.host("rpc").failure is None


def test_hello_and_evse_infos(rig: Rig) -> None:
    hello = rig.client.result("API.Hello")
    assert hello == {"authentication_required": False, "api_version": "1.0.0",
                     "everest_version": "", "charger_info": {
                         "vendor": "unknown", "model": "unknown", "serial": "unknown",
                         "firmware_version": "unknown"}}
    infos = rig.client.result("ChargePoint.GetEVSEInfos")
    assert infos["error"] == "NoError"
    assert [(i["index"], i["available_connectors"]) for i in infos["infos"]] == [
        (1, [{"index": 1, "type": "sType2"}])]
    assert rig.client.result("EVSE.GetInfo", evse_index=1)["info"]["index"] == 1
    assert rig.client.result("EVSE.GetInfo", evse_index=7) == {"error": "ErrorInvalidEVSEIndex"}


def test_status_meter_and_capabilities_with_their_notifications(rig: Rig) -> None:
    assert rig.client.result("EVSE.GetMeterData", evse_index=1) == {
        "error": "ErrorNoDataAvailable"}
    rig.publish("hw_capabilities", CAPS)
    caps = rig.client.wait_notification("EVSE.HardwareCapabilitiesChanged")
    assert caps["evse_index"] == 1 and caps["hardware_capabilities"]["max_current_A_import"] == 32
    assert "connector_type" not in caps["hardware_capabilities"]
    assert caps["hardware_capabilities"]["phase_switch_during_charging"] is True
    rig.emit("SessionStarted")
    rig.emit("TransactionStarted", transaction_started={
        "meter_value": meter(1000.0), "id_tag": {"id_token": {"value": "FREE", "type": "Local"},
                                                  "authorization_type": "RFID"}})
    rig.emit("ChargingStarted")
    rig.client.wait_notification("EVSE.StatusChanged",
                                 lambda p: p["evse_status"]["state"] == "Charging")
    rig.publish("powermeter", meter(1234.5678, 11040.0))
    data = rig.client.wait_notification("EVSE.MeterDataChanged")
    assert data["meter_data"]["energy_Wh_import"] == {"total": 1234.57}  # 2 decimals
    status = rig.client.wait_notification(
        "EVSE.StatusChanged", lambda p: p["evse_status"]["charged_energy_wh"] > 0)["evse_status"]
    assert status["charged_energy_wh"] == 234.57 and status["charging_allowed"] is True
    got = rig.client.result("EVSE.GetStatus", evse_index=1)
    assert got["error"] == "NoError" and got["status"]["state"] == "Charging"
    assert got["status"]["ac_charge_param"]["evse_max_phase_count"] == 3
    assert rig.client.result("EVSE.GetHardwareCapabilities", evse_index=1)[
        "hardware_capabilities"]["min_current_A_import"] == 6


def test_limits_go_to_the_energy_node_and_reach_the_evse(rig: Rig) -> None:
    assert rig.client.result("EVSE.SetACChargingCurrent", evse_index=1, max_current=10.0) == {
        "error": "NoError"}
    wait_until(lambda: any(
        (e["limits_root_side"].get("ac_max_current_A") or {}).get("value") == 10.0
        for e in rig.evse.enforced), 10, "10 A enforced")
    assert rig.client.result("EVSE.SetACChargingPhaseCount", evse_index=1, phase_count=1) == {
        "error": "NoError"}
    wait_until(lambda: any(
        (e["limits_root_side"].get("ac_max_phase_count") or {}).get("value") == 1
        for e in rig.evse.enforced), 10, "1 phase enforced")
    assert rig.client.result("EVSE.SetACChargingPhaseCount", evse_index=1, phase_count=4) == {
        "error": "ErrorOutOfRange"}


def test_charging_allowed_pauses_and_resumes_and_enable_connector(rig: Rig) -> None:
    rig.emit("ChargingStarted")
    rig.client.wait_notification("EVSE.StatusChanged",
                                 lambda p: p["evse_status"]["state"] == "Charging")
    assert rig.client.result("EVSE.SetChargingAllowed", evse_index=1,
                             charging_allowed=False) == {"error": "NoError"}
    assert len(rig.calls("pause_charging")) == 1
    rig.emit("ChargingPausedEVSE")
    rig.client.wait_notification("EVSE.StatusChanged",
                                 lambda p: p["evse_status"]["state"] == "ChargingPausedEVSE")
    assert rig.client.result("EVSE.SetChargingAllowed", evse_index=1,
                             charging_allowed=True) == {"error": "NoError"}
    assert len(rig.calls("resume_charging")) == 1
    assert rig.client.result("EVSE.EnableConnector", evse_index=1, connector_index=0,
                             enable=False, priority=10) == {"error": "NoError"}
    assert rig.calls("enable_disable")[-1] == {"connector_id": 0, "cmd_source": {
        "enable_source": "LocalAPI", "enable_state": "Disable", "enable_priority": 10}}


def enforced_amps(rig: Rig, amps: float) -> bool:
    return any((e["limits_root_side"].get("ac_max_current_A") or {}).get("value") == amps
               for e in rig.evse.enforced[-1:])


def test_charging_not_allowed_before_a_session_is_a_zero_limit_until_allowed(rig: Rig) -> None:
    """The current asked for meanwhile is kept, and applied once charging is allowed again."""
    assert rig.client.result("EVSE.SetChargingAllowed", evse_index=1,
                             charging_allowed=False) == {"error": "NoError"}
    wait_until(lambda: enforced_amps(rig, 0.0), 10, "0 A enforced")
    assert rig.client.result("EVSE.GetStatus", evse_index=1)["status"][
        "charging_allowed"] is False
    assert rig.client.result("EVSE.SetACChargingCurrent", evse_index=1, max_current=12.0) == {
        "error": "NoError"}
    assert rig.client.result("EVSE.SetChargingAllowed", evse_index=1,
                             charging_allowed=True) == {"error": "NoError"}
    wait_until(lambda: enforced_amps(rig, 12.0), 10, "12 A enforced")
    assert rig.calls("pause_charging") == [] and rig.calls("resume_charging") == []


@pytest.mark.parametrize(("text", "code"), [
    ("{not json", -32700),
    ("[]", -32600),
    ('"just a string"', -32600),
    ('{"jsonrpc": "1.0", "method": "API.Hello", "id": 5}', -32600),
    ('{"jsonrpc": "2.0", "method": 42, "id": 5}', -32600),
    ('{"jsonrpc": "2.0", "method": "EVSE.Explode", "id": 5}', -32601),
    ('{"jsonrpc": "2.0", "method": "EVSE.SetACCharging", "id": 5}', -32601),
    ('{"jsonrpc": "2.0", "method": "EVSE.GetStatus", "id": 5}', -32602),
    ('{"jsonrpc": "2.0", "method": "EVSE.GetStatus", "params": [1], "id": 5}', -32602),
    ('{"jsonrpc": "2.0", "method": "EVSE.GetStatus", "params": {"evse_index": "1"}, "id": 5}',
     -32602),
    ('{"jsonrpc": "2.0", "method": "EVSE.SetACChargingCurrent", "params": '
     '{"evse_index": 1, "max_current": "lots"}, "id": 5}', -32602),
    ('{"jsonrpc": "2.0", "method": "EVSE.SetChargingAllowed", "params": '
     '{"evse_index": 1, "charging_allowed": 1}, "id": 5}', -32602),
])
def test_bad_requests_get_json_rpc_errors(rig: Rig, text: str, code: int) -> None:
    rig.client.send(text)
    answer = rig.client.receive()
    assert answer["jsonrpc"] == "2.0" and answer["error"]["code"] == code, answer
    assert answer["id"] == (5 if ('"id": 5' in text and code not in (-32600,))
                            or '"jsonrpc": "1.0"' in text or "42" in text else None)
    assert rig.client.result("EVSE.GetInfo", evse_index=1)["error"] == "NoError"  # still up


def test_a_client_must_say_hello_first(rig: Rig) -> None:
    late = RpcClient(rig.port, hello=False)
    late.send(json.dumps({"jsonrpc": "2.0", "method": "EVSE.GetInfo", "id": 1,
                          "params": {"evse_index": 1}}))
    with pytest.raises(ConnectionClosed):
        late.receive()
    assert rig.client.result("API.Hello")["api_version"] == "1.0.0"


def test_websockets_is_imported_only_by_a_running_rpc_api_server() -> None:
    """The board has one slow core: a stack loads websockets only when an RpcApi serves."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pycharge.cli import loading\n"
        "for name in ('bsp-only.yaml', 'bsp-only-2026.yaml'):\n"
        "    catalog, _definitions, config = loading.load(\n"
        "        Path(sys.argv[1]) / name, [])\n"
        "    for module in config.modules.values():\n"
        "        catalog.load_class(module.name)\n"
        "    print(name, 'websockets' in sys.modules, 'pycharge.modules.RpcApi.module' in "
        "sys.modules)\n")
    configs = Path(importlib.resources.files("pycharge.configs"))  # type: ignore[arg-type]
    output = subprocess.run([sys.executable, "-c", script, str(configs)], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    assert output == ["bsp-only.yaml False False", "bsp-only-2026.yaml False True"]
