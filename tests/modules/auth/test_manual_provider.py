"""DummyTokenProviderManual: a token swiped on its MQTT topic authorizes a session through Auth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Mosquitto
from tests.modules.auth.conftest import auth_config, auth_stack
from tests.support.probe import Probe
from tests.support.waiting import wait_until

TOKEN = {"id_token": {"value": "CAFE02", "type": "ISO14443"}, "authorization_type": "RFID"}


def manual_config(**main: str) -> dict:
    config = auth_config()
    config["active_modules"]["token_provider"] = {
        "module": "DummyTokenProviderManual", "config_implementation": {"main": main}}
    return config


def test_a_swiped_token_authorizes_the_session(tmp_path: Path, mosquitto: Mosquitto,
                                               probe: Probe) -> None:
    with auth_stack(tmp_path, mosquitto, probe, manual_config()) as stack:
        stack.plug_in()
        prefix = stack.stack.config.settings.mqtt_external_prefix
        stack.probe.publish(f"{prefix}everest_api/token_provider/cmd/provide", TOKEN)
        [response] = stack.wait_call("authorize_response")
        assert response["provided_token"]["id_token"] == TOKEN["id_token"]
        assert response["validation_result"]["authorization_status"] == "Accepted"
        stack.wait_statuses(["Processing", "Accepted", "UsedToStart"], "CAFE02")


def test_the_configured_topic_and_bad_payloads(tmp_path: Path, mosquitto: Mosquitto,
                                               probe: Probe,
                                               caplog: pytest.LogCaptureFixture) -> None:
    with auth_stack(tmp_path, mosquitto, probe, manual_config(mqtt_topic="swipe/here")) as stack:
        stack.plug_in()
        topic = stack.stack.config.settings.mqtt_external_prefix + "swipe/here"
        stack.probe.publish(topic, b"{not json")
        stack.probe.publish(topic, {"id_token": {"value": "CAFE02"}})  # no type
        wait_until(lambda: caplog.text.count("failed to handle the token from MQTT") == 2,
                   what="two logged rejections")
        assert stack.calls("authorize_response") == []
        stack.probe.publish(topic, TOKEN)
        stack.wait_call("authorize_response")
        assert stack.stack.status()["token_provider"]["restarts"] == 0


