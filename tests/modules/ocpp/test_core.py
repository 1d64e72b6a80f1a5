"""The OCPP module against a real CSMS on loopback, on the simulated board: boot, heartbeat,
status, a remote-started session, configuration, and requests it cannot or must not serve."""

from __future__ import annotations

import json
import threading

import pytest
from ocpp.exceptions import TypeConstraintViolationError
from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger, swipe
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import PLUG_IN_16A, STAY, Sil
from tests.support.waiting import wait_until


def test_boot_heartbeat_and_status(sil: Sil, csms: Csms) -> None:
    boot = csms.wait("BootNotification")
    assert boot == {"charge_point_model": "Charge Control C", "charge_point_vendor": "chargebyte",
                    "charge_box_serial_number": "cp001", "firmware_version": "pycharge"}
    assert csms.paths[0] == "/cp001" and csms.subprotocols[0] == "ocpp1.6"
    csms.wait("Heartbeat")
    for connector in (0, 1):
        status = csms.wait("StatusNotification", lambda p, c=connector: p["connector_id"] == c)
        assert status["status"] == "Available"
    assert csms.messages[0][0] == "BootNotification"


def test_boot_retried_while_pending_and_its_interval_kept(charger: Charger, csms: Csms) -> None:
    csms.boot_answers = ["Pending", "Rejected"]
    csms.heartbeat_interval = 2  # the configuration says 1
    with charger.run():
        csms.wait("Heartbeat", timeout=20)
        answer = csms.call(call.GetConfiguration(key=["HeartbeatInterval"]))
        assert answer.configuration_key[0]["value"] == "2"
    assert len(csms.seen("BootNotification")) == 3
    assert [a for a, _ in csms.messages[:3]] == ["BootNotification"] * 3


def test_remote_started_session_charges_and_stops(sil: Sil, csms: Csms) -> None:
    csms.wait("StatusNotification", lambda p: p["connector_id"] == 1)
    sil.car(PLUG_IN_16A + STAY)
    csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
    answer = csms.call(call.RemoteStartTransaction(id_tag="TAG1", connector_id=1))
    assert answer.status == "Accepted"
    start = csms.wait("StartTransaction")
    assert start["id_tag"] == "TAG1" and start["connector_id"] == 1
    csms.wait("StatusNotification", lambda p: p["status"] == "Charging")
    sil.wait_current(16.0, since=0.0)
    csms.wait("MeterValues", lambda p: p.get("transaction_id") == 100
              and float(p["meter_value"][0]["sampled_value"][0]["value"]) > start["meter_start"])
    assert csms.call(call.RemoteStopTransaction(transaction_id=100)).status == "Accepted"
    stop = csms.wait("StopTransaction")
    assert stop["transaction_id"] == 100 and stop["reason"] == "Remote"
    assert stop["meter_stop"] > start["meter_start"]
    assert csms.call(call.RemoteStopTransaction(transaction_id=100)).status == "Rejected"


def test_configuration_changed_and_kept_across_a_restart(charger: Charger, csms: Csms) -> None:
    with charger.run():
        answer = csms.call(call.GetConfiguration(key=["HeartbeatInterval", "NoSuchKey"]))
        assert answer.configuration_key == [
            {"key": "HeartbeatInterval", "readonly": False, "value": "1"}]
        assert answer.unknown_key == ["NoSuchKey"]
        assert csms.call(call.ChangeConfiguration("MeterValueSampleInterval", "7")).status \
            == "Accepted"
        assert csms.call(call.ChangeConfiguration("NumberOfConnectors", "2")).status == "Rejected"
        assert csms.call(call.ChangeConfiguration("HeartbeatInterval", "soon")).status == "Rejected"
        assert csms.call(call.ChangeConfiguration("NoSuchKey", "1")).status == "NotSupported"
    overlay = json.loads((charger.database / "user_config.json").read_text())
    assert overlay == {"Core": {"MeterValueSampleInterval": 7}}
    csms.messages.clear()
    with charger.run():
        csms.wait("BootNotification")
        answer = csms.call(call.GetConfiguration(key=["MeterValueSampleInterval"]))
        assert answer.configuration_key[0]["value"] == "7"


def test_unknown_action_and_bad_frames_get_callerrors(sil: Sil, csms: Csms) -> None:
    csms.wait("BootNotification")
    with pytest.raises(TypeConstraintViolationError):  # value must be a string
        csms.call(call.ChangeConfiguration(key="HeartbeatInterval", value=5), valid=False)
    before = len(csms.frames)
    csms.send_raw("this is not json")
    csms.send_raw(json.dumps([2, "too-short"]))
    csms.send_raw(json.dumps([2, "no-such", "NoSuchAction", {}]))  # not an OCPP 1.6 action
    errors = wait_until(lambda: [json.loads(f) for f in csms.frames[before:]][:3] if len(
        csms.frames) >= before + 3 else None, 10, "three CALLERRORs")
    assert errors[0][:3] == [4, "-1", "FormatViolation"]
    assert errors[1][:3] == [4, "too-short", "ProtocolError"]
    assert errors[2][:3] == [4, "no-such", "NotImplemented"]
    assert csms.call(call.DataTransfer(vendor_id="acme")).status == "UnknownVendorId"
    assert csms.call(call.ClearCache()).status == "Accepted"


def test_a_swiped_card_is_authorized_by_the_csms(sil: Sil, csms: Csms) -> None:
    csms.wait("StatusNotification", lambda p: p["connector_id"] == 1)
    sil.car(PLUG_IN_16A + STAY)
    csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
    swipe(sil, "RFID1")
    assert csms.wait("Authorize") == {"id_tag": "RFID1"}
    assert csms.wait("StartTransaction")["id_tag"] == "RFID1"


def test_the_websocket_thread_ends_with_the_module(charger: Charger, csms: Csms) -> None:
    """Nothing polls a stop flag: the module's shutdown wakes the idle loop to end."""
    with charger.run():
        csms.wait("Heartbeat")
        assert any(t.name == "ocpp.websocket" for t in threading.enumerate())
    wait_until(lambda: not any(t.name == "ocpp.websocket" for t in threading.enumerate()), 2,
               "the websocket thread ended")
