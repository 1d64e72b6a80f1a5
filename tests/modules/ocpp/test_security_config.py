"""The security profile's keys are checked together (file, key, what is allowed), and the URL
is made as libocpp makes it."""

from __future__ import annotations

import importlib.resources
import json
import ssl
from pathlib import Path
from typing import Any

import pytest

from pycharge.modules.OCPP.config import ChargePointConfig
from pycharge.modules.OCPP.security import failure_event, url_of
from pycharge.runtime.usererror import UserError

DEFAULT = json.loads(importlib.resources.files("pycharge.configs").joinpath(
    "ocpp-config.json").read_text())


def config(tmp_path: Path, uri: str, security: dict[str, Any],
           overlay: dict[str, Any] | None = None) -> ChargePointConfig:
    content = json.loads(json.dumps(DEFAULT))
    content["Internal"]["CentralSystemURI"] = uri
    content["Security"] = security
    path = tmp_path / "ocpp.json"
    path.write_text(json.dumps(content))
    user = tmp_path / "user.json"
    if overlay is not None:
        user.write_text(json.dumps(overlay))
    return ChargePointConfig(path, user)


@pytest.mark.parametrize(("uri", "security", "expected"), [
    ("ws://csms/", {"SecurityProfile": 2, "AuthorizationKey": "AABBCCDDEEFFGGHH"},
     "Internal.CentralSystemURI 'ws://csms/' does not fit Security.SecurityProfile 2: it "
     "needs wss:// (profiles 0 and 1 ws://, 2 and 3 wss://; or give no scheme)"),
    ("wss://csms/", {"SecurityProfile": 0}, "does not fit Security.SecurityProfile 0: it "
     "needs ws://"),
    ("ws://csms/", {"SecurityProfile": 1}, "Security.AuthorizationKey is required by "
     "Security.SecurityProfile 1 (the Basic authentication password; profiles 0 and 3 do "
     "without)"),
    ("csms/", {"SecurityProfile": 2}, "Security.AuthorizationKey is required by "
     "Security.SecurityProfile 2"),
    ("ws://csms/", {"SecurityProfile": 4}, "Security.SecurityProfile must be at most 3, not 4"),
    ("ws://csms/", {"SecurityProfile": 1, "AuthorizationKey": "short"},
     "Security.AuthorizationKey must have at least 8 characters, not 5"),
])
def test_a_profile_that_does_not_fit_is_a_config_error(
        tmp_path: Path, uri: str, security: dict[str, Any], expected: str) -> None:
    with pytest.raises(UserError) as caught:
        config(tmp_path, uri, security)
    lines = str(caught.value).splitlines()[1:]
    assert lines == [f"  {tmp_path / 'ocpp.json'}: {lines[0].split(': ', 1)[1]}"]
    assert expected in lines[0]


def test_the_key_may_come_from_the_overlay_and_is_never_shown(tmp_path: Path) -> None:
    settings = config(tmp_path, "127.0.0.1:9000/cp001", {"SecurityProfile": 1},
                      overlay={"Security": {"AuthorizationKey": "0011223344556677"}})
    assert settings["AuthorizationKey"] == "0011223344556677"
    assert settings.listed(["AuthorizationKey"]) == (
        [{"key": "AuthorizationKey", "readonly": False}], [])
    assert settings.change("AuthorizationKey", "short") == "Rejected"
    assert settings.change("AuthorizationKey", "8899AABBCCDDEEFF") == "Accepted"
    assert settings.change("SecurityProfile", "0") == "Rejected"  # no downgrade by the CSMS


@pytest.mark.parametrize(("uri", "profile", "url"), [
    ("ws://127.0.0.1:9000/", 0, "ws://127.0.0.1:9000/cp001"),
    ("127.0.0.1:9000/cp001", 1, "ws://127.0.0.1:9000/cp001"),  # libocpp's form: no scheme
    ("csms.example:443/ocpp", 2, "wss://csms.example:443/ocpp/cp001"),
    ("wss://csms.example/ocpp/cp001/", 3, "wss://csms.example/ocpp/cp001"),
])
def test_the_url_is_made_as_libocpp_makes_it(uri: str, profile: int, url: str) -> None:
    assert url_of(uri, "cp001", profile) == url


def test_only_security_failures_are_security_events() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed")
    assert failure_event(refused) is None
    wrapped = OSError("handshake")
    wrapped.__cause__ = ssl.SSLCertVerificationError(1, "verify failed")
    event = failure_event(wrapped)
    assert event is not None and event["type"] == "InvalidCentralSystemCertificate"
