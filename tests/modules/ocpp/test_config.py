"""ChargePointConfigPath is checked as a whole, and the CSMS's changes survive in the overlay."""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pycharge.modules.OCPP.config import ChargePointConfig
from pycharge.runtime.usererror import UserError

DEFAULT = json.loads(importlib.resources.files("pycharge.configs").joinpath(
    "ocpp-config.json").read_text())


def write(path: Path, content: object) -> Path:
    path.write_text(json.dumps(content))
    return path


def test_the_packaged_default_is_valid(tmp_path: Path) -> None:
    config = ChargePointConfig(write(tmp_path / "ocpp.json", DEFAULT), tmp_path / "user.json")
    assert config["CentralSystemURI"].startswith("ws://")


def test_every_problem_is_reported_at_once_with_file_key_and_what_is_allowed(
        tmp_path: Path) -> None:
    broken = json.loads(json.dumps(DEFAULT))
    broken["Internal"]["CentralSystemURI"] = "http://csms"
    broken["Core"]["HeartbeatInterval"] = "often"
    broken["Core"]["MeterValueSampleInterval"] = -1
    broken["Core"]["SupportedFeatureProfiles"] = "Core,Teleport"
    del broken["Core"]["NumberOfConnectors"]
    del broken["Security"]
    broken["Core"]["StopTxnSampledData"] = "Energy.Active.Import.Register,Temperature"
    del broken["LocalAuthListManagement"]["SendLocalListMaxLength"]
    broken["Extras"] = {}
    path = write(tmp_path / "ocpp.json", broken)
    with pytest.raises(UserError) as caught:
        ChargePointConfig(path, tmp_path / "user.json")
    lines = str(caught.value).splitlines()[1:]
    assert all(line.strip().startswith(f"{path}: ") for line in lines)
    text = str(caught.value)
    for expected in ("profile Security is required",
                     "Internal.CentralSystemURI must start with ws:// or wss://",
                     "Core.HeartbeatInterval must be an integer, not \"often\"",
                     "Core.MeterValueSampleInterval must be at least 0, not -1",
                     "Core.SupportedFeatureProfiles has unknown profiles ['Teleport']",
                     "Core.NumberOfConnectors is required",
                     "Core.StopTxnSampledData has unknown measurands ['Temperature']",
                     "LocalAuthListManagement.SendLocalListMaxLength is required",
                     "unknown profile 'Extras'; allowed: Internal, Core, Security"):
        assert expected in text
    assert len(lines) == 9


def test_a_profile_claimed_needs_its_keys(tmp_path: Path) -> None:
    claimed = json.loads(json.dumps(DEFAULT))
    del claimed["LocalAuthListManagement"]
    path = write(tmp_path / "ocpp.json", claimed)
    with pytest.raises(UserError, match=f"{path}: profile LocalAuthListManagement is required: "
                                        "Core.SupportedFeatureProfiles names it"):
        ChargePointConfig(path, tmp_path / "user.json")
    claimed["Core"]["SupportedFeatureProfiles"] = "Core,RemoteTrigger"
    ChargePointConfig(write(tmp_path / "ocpp.json", claimed), tmp_path / "user.json")


def test_a_broken_overlay_is_reported_too(tmp_path: Path) -> None:
    user = write(tmp_path / "user.json", {"Core": {"HeartbeatInterval": True}})
    with pytest.raises(UserError, match=f"{user}: Core.HeartbeatInterval must be an integer"):
        ChargePointConfig(write(tmp_path / "ocpp.json", DEFAULT), user)


def test_changes_go_to_the_overlay_and_win_over_the_file(tmp_path: Path) -> None:
    base, user = write(tmp_path / "ocpp.json", DEFAULT), tmp_path / "state" / "user.json"
    config = ChargePointConfig(base, user)
    assert config.change("HeartbeatInterval", "30") == "Accepted"
    assert config.change("LocalPreAuthorize", "TRUE") == "Accepted"
    assert config.change("ChargePointId", "other") == "Rejected"
    assert not (user.parent / "user.json.tmp").exists()
    again = ChargePointConfig(base, user)
    assert again["HeartbeatInterval"] == 30 and again["LocalPreAuthorize"] is True
    assert json.loads(base.read_text()) == DEFAULT
    assert again.listed(["LocalPreAuthorize"]) == (
        [{"key": "LocalPreAuthorize", "readonly": False, "value": "true"}], [])


def test_pycharge_check_accepts_bsp_only_with_ocpp_wired_as_everest_wires_it() -> None:
    config = importlib.resources.files("pycharge.configs").joinpath("bsp-only-ocpp.yaml")
    result = subprocess.run([sys.executable, "-m", "pycharge", "check", str(config)],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ocpp (OCPP)" in result.stdout and "auth (Auth)" in result.stdout
