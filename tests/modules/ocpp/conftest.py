"""bsp-only-ocpp.yaml on the simulated board, connected to a real CSMS on loopback."""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Mosquitto, free_port
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import Sil, sil_stack
from tests.support.stack import write_config

CONFIGS = importlib.resources.files("pycharge.configs")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every scenario runs the whole stack in real time: mark them slow."""
    for item in items:
        if Path(__file__).parent in item.path.parents:
            item.add_marker(pytest.mark.slow)


@dataclass
class Charger:
    """The stack's configuration files; :meth:`run` starts it (again) on them."""

    tmp_path: Path
    broker: Mosquitto
    csms: Csms
    core: dict[str, Any] = field(default_factory=dict)  # Core keys other than the defaults
    local_list: dict[str, Any] = field(default_factory=dict)  # LocalAuthListManagement's
    security: dict[str, Any] = field(default_factory=dict)  # over ocpp-config.json's Security
    reservation: dict[str, Any] = field(default_factory=dict)  # over its Reservation profile
    evse_security: dict[str, str] = field(default_factory=dict)  # EvseSecurity's config

    @property
    def database(self) -> Path:
        return self.tmp_path / "ocpp"

    def config(self) -> dict[str, Any]:
        ocpp = json.loads(CONFIGS.joinpath("ocpp-config.json").read_text())
        ocpp["Internal"]["CentralSystemURI"] = self.csms.url
        ocpp["Core"].update({"HeartbeatInterval": 1, "MeterValueSampleInterval": 1, **self.core})
        ocpp["LocalAuthListManagement"].update(self.local_list)
        ocpp["Security"].update(self.security)
        ocpp["Reservation"].update(self.reservation)
        ocpp_path = self.tmp_path / "ocpp-config.json"
        ocpp_path.write_text(json.dumps(ocpp))
        config = yaml.safe_load(CONFIGS.joinpath("bsp-only-ocpp.yaml").read_text())
        modules = config["active_modules"]
        modules["ocpp"]["config_module"].update(ChargePointConfigPath=str(ocpp_path),
                                                DatabasePath=str(self.database))
        modules["evse_security"]["config_module"] = self.evse_security
        system = self.tmp_path / "system"
        for folder in ("downloads", "state", "logs"):  # CbSystem wants them to exist
            (system / folder).mkdir(parents=True, exist_ok=True)
        modules["system"]["config_module"] = {
            "simulate_system_commands": True, "download_dir": str(system / "downloads"),
            "state_dir": str(system / "state"), "log_dir": str(system / "logs")}
        return config

    def run(self, available: bool = True) -> Any:
        return sil_stack(self.tmp_path, self.broker, self.config(), available=available)

    def config_file(self) -> Path:
        """The configuration as a file, for ``pycharge run --sim`` in a process of its own."""
        config = self.config()
        config["active_modules"]["error_history"]["config_implementation"]["error_history"][
            "database_path"] = str(self.tmp_path / "error_history.db")
        return write_config(self.tmp_path, config)


def swipe(sil: Sil, id_tag: str) -> None:
    """A card at the reader: DummyTokenProviderManual's topic, as EVerest's tests use it."""
    external = sil.api_prefix.split("everest_api/")[0]
    sil.probe.publish(f"{external}everest_api/dummy_token_provider/cmd/provide", json.dumps(
        {"id_token": {"value": id_tag, "type": "ISO14443"}, "authorization_type": "RFID"}))


@pytest.fixture
def csms() -> Iterator[Csms]:
    server = Csms(free_port())
    server.start()
    yield server
    if server._thread is not None and server._thread.is_alive():
        server.stop()


@pytest.fixture
def charger(tmp_path: Path, mosquitto: Mosquitto, csms: Csms) -> Charger:
    return Charger(tmp_path, mosquitto, csms)


@pytest.fixture
def sil(charger: Charger) -> Iterator[Sil]:
    with charger.run() as stack:
        yield stack
