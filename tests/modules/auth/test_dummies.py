"""DummyTokenProvider and DummyTokenValidator on their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Mosquitto
from tests.modules.api.conftest import DOUBLES
from tests.modules.auth.conftest import METER, link
from tests.modules.energy.support import call
from tests.support.probe import Probe
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until


def config(token_type: str) -> dict[str, Any]:
    return {"active_modules": {
        "evse": {"module": "FakeEvseManager"},
        "provider": {"module": "DummyTokenProvider", "config_implementation": {
            "main": {"token": "CAFE01", "type": token_type, "connector_id": 1}},
            "connections": {"evse": link("evse", "evse")}},
        "validator": {"module": "DummyTokenValidator", "config_implementation": {
            "main": {"validation_result": "Invalid", "sleep": 60}}},
    }}


def test_the_provider_hands_in_its_token_on_every_session_start(
        tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> None:
    with running(write_config(tmp_path, config("RFID")), mosquitto.address, [DOUBLES]) as stack:
        topic = stack.topics.var("provider", "main", "provided_token")
        probe.subscribe(topic)
        evse = stack.host("evse").module
        for event in ("SessionStarted", "AuthRequired", "SessionFinished", "SessionStarted"):
            evse.submit(lambda event=event: evse.event(event, session_started={
                "reason": "EVConnected", "meter_value": METER}) if event == "SessionStarted"
                else evse.event(event))
        wait_until(lambda: len(probe.payloads(topic)) == 2, what="two tokens")
        token = probe.payloads(topic)[0]["data"]
        assert token == {"id_token": {"value": "CAFE01", "type": "ISO14443"},
                         "authorization_type": "RFID", "connectors": [1],
                         "parent_id_token": {"value": "CAFE01", "type": "ISO14443"}}


def test_a_token_type_that_is_no_authorization_type_is_logged_not_fatal(
        tmp_path: Path, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture) -> None:
    with running(write_config(tmp_path, config("Card")), mosquitto.address, [DOUBLES]) as stack:
        evse = stack.host("evse").module
        evse.submit(lambda: evse.event("SessionStarted", session_started={
            "reason": "EVConnected", "meter_value": METER}))
        wait_until(lambda: "cannot publish the configured token" in caplog.text, what="the error")
        assert stack.status()["provider"]["restarts"] == 0


def test_the_validator_answers_its_configured_result_without_stalling(
        tmp_path: Path, mosquitto: Mosquitto, probe: Probe,
        caplog: pytest.LogCaptureFixture) -> None:
    with running(write_config(tmp_path, config("RFID")), mosquitto.address, [DOUBLES]) as stack:
        assert "sleep 60.0 s would stall this module; waiting 5.0 s instead" in caplog.text
        stack.host("validator").module.sleep = 0  # the cap was checked; do not wait 5 s here
        answer = call(stack, probe, "validator", "main", "validate_token", provided_token={
            "id_token": {"value": "CAFE01", "type": "ISO14443"}, "authorization_type": "RFID"})
        assert answer["retval"] == {"authorization_status": "Invalid", "tariff_messages": []}
