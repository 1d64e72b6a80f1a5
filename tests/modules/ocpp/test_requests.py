"""CSMS requests that act on other modules: Reset through the system module, UnlockConnector
through the EvseManager, TriggerMessage."""

from __future__ import annotations

import json

from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import PLUG_IN_16A, STAY, Sil
from tests.support.waiting import wait_until


def recorded(charger: Charger) -> list[list[str]]:
    path = charger.tmp_path / "system" / "state" / "simulated-programs.jsonl"
    return [json.loads(line)["argv"] for line in path.read_text().splitlines()] \
        if path.exists() else []


def test_hard_reset_stops_the_transaction_then_reboots(charger: Charger, csms: Csms) -> None:
    with charger.run() as sil:
        sil.car(PLUG_IN_16A + STAY)
        csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
        assert csms.call(call.RemoteStartTransaction(id_tag="TAG1")).status == "Accepted"
        csms.wait("StartTransaction")
        assert csms.call(call.Reset(type="Hard")).status == "Accepted"
        stop = csms.wait("StopTransaction")
        assert stop["reason"] == "HardReset"
        assert csms.wait("SecurityEventNotification", lambda p: p["type"] == "ResetOrReboot"
                         )["tech_info"] == "Hard reset by the CSMS"
        wait_until(lambda: any("reboot" in argv[0] for argv in recorded(charger)), 15,
                   "a reboot by the system module")


def test_unlock_without_a_lock_is_not_supported(sil: Sil, csms: Csms) -> None:
    csms.wait("BootNotification")
    assert csms.call(call.UnlockConnector(connector_id=1)).status == "NotSupported"
    assert csms.call(call.UnlockConnector(connector_id=2)).status == "NotSupported"


def test_trigger_message(sil: Sil, csms: Csms) -> None:
    csms.wait("Heartbeat")
    before = len(csms.seen("StatusNotification"))
    assert csms.call(call.TriggerMessage(requested_message="StatusNotification",
                                         connector_id=1)).status == "Accepted"
    wait_until(lambda: len(csms.seen("StatusNotification")) > before, 10, "a StatusNotification")
    assert csms.seen("StatusNotification")[-1]["connector_id"] == 1
    assert csms.call(call.TriggerMessage(
        requested_message="DiagnosticsStatusNotification")).status == "Accepted"
    assert csms.wait("DiagnosticsStatusNotification") == {"status": "Idle"}
    assert csms.call(call.TriggerMessage(
        requested_message="BootNotification")).status == "NotImplemented"
