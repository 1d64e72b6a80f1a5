"""Fixtures for CbSystem: signing keys made with openssl, a local HTTP server, the module on
the mosquitto fixture with simulated system programs in temporary directories."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Mosquitto
from tests.modules.system.bus import SystemBus
from tests.modules.system.fileserver import FileServer
from tests.support import host_tools
from tests.support.probe import Probe
from tests.support.stack import running, write_config

FAKES = Path(__file__).parent / "fakes"

OPENSSL = host_tools.find("openssl") or "openssl"
BUNDLE_MAGIC = b"hsqs"  # RAUC bundles are SquashFS images; the simulated rauc checks this
# Paths that do not exist here: even a broken simulation could not run the host's programs.
NOWHERE = "/nonexistent/pycharge-test"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


@dataclass
class Signer:
    """An RSA key with a self-signed certificate; signs like a firmware vendor (RSA-PSS)."""

    directory: Path
    name: str

    @property
    def certificate(self) -> str:
        return (self.directory / f"{self.name}.crt").read_text()

    @property
    def certificate_path(self) -> Path:
        return self.directory / f"{self.name}.crt"

    def sign(self, data: bytes) -> str:
        image = self.directory / "to-sign.bin"
        image.write_bytes(data)
        openssl("dgst", "-sha256", "-sign", f"{self.name}.key", "-sigopt", "rsa_padding_mode:pss",
                "-sigopt", "rsa_pss_saltlen:-1", "-out", "signature.bin", image.name,
                cwd=self.directory)
        return base64.b64encode((self.directory / "signature.bin").read_bytes()).decode()


def make_signer(directory: Path, name: str) -> Signer:
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.crt", "-days", "2", "-subj", f"/CN=pycharge test {name}", cwd=directory)
    return Signer(directory, name)


@pytest.fixture(scope="session")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return make_signer(tmp_path_factory.mktemp("vendor"), "vendor")


@pytest.fixture(scope="session")
def intruder(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return make_signer(tmp_path_factory.mktemp("intruder"), "intruder")


@pytest.fixture(scope="session")
def image() -> bytes:
    """A firmware image as the simulated rauc accepts it."""
    return BUNDLE_MAGIC + os.urandom(200 * 1024)


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.close()


@dataclass
class SystemRig:
    """CbSystem with simulated programs, its directories, and a way to (re)start it."""

    root: Path
    broker: Mosquitto
    probe: Probe
    overrides: dict[str, Any] = field(default_factory=dict)
    with_evse: bool = False
    config_path: Path | None = None

    def __post_init__(self) -> None:
        for name in ("download", "state", "logs"):
            (self.root / name).mkdir()

    @property
    def download_dir(self) -> Path:
        return self.root / "download"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def module_config(self) -> dict[str, Any]:
        config = {"simulate_system_commands": True, "download_dir": str(self.download_dir),
                  "state_dir": str(self.state_dir), "log_dir": str(self.log_dir),
                  "rauc_path": f"{NOWHERE}/rauc", "reboot_path": f"{NOWHERE}/reboot",
                  "timedatectl_path": f"{NOWHERE}/timedatectl",
                  "journalctl_path": f"{NOWHERE}/journalctl", "openssl_path": OPENSSL,
                  "connect_timeout": 1, "download_timeout": 10, "reset_delay": 0,
                  "default_retry_interval": 0, "max_download_size_MB": 1}
        config.update(self.overrides)
        return config

    def write(self) -> Path:
        modules: dict[str, Any] = {"system": {"module": "CbSystem",
                                              "config_module": self.module_config()}}
        if self.with_evse:
            modules["evse"] = {"module": "SystemTestEvse"}
            modules["system"]["connections"] = {
                "evse_manager": [{"module_id": "evse", "implementation_id": "evse"}]}
        self.config_path = write_config(self.root, {"active_modules": modules})
        return self.config_path

    @contextmanager
    def run(self) -> Iterator[SystemBus]:
        """Start the stack (the same configuration and directories each time) and stop it."""
        path = self.config_path or self.write()
        prefix = yaml.safe_load(path.read_text())["settings"]["mqtt_everest_prefix"] + "/"
        bus = SystemBus(self.probe, prefix)
        with running(path, self.broker.address, [FAKES]):
            yield bus

    def calls(self) -> list[list[str]]:
        """Every program the module ran or would have run, in order."""
        path = self.state_dir / "simulated-programs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line)["argv"] for line in path.read_text().splitlines() if line]

    def calls_of(self, program: str) -> list[list[str]]:
        return [argv for argv in self.calls() if argv[0] == f"{NOWHERE}/{program}"]

    def leftovers(self) -> list[str]:
        """Files in the download directory (a failed download must leave none)."""
        return sorted(p.name for p in self.download_dir.iterdir())


@pytest.fixture
def rig(tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> SystemRig:
    return SystemRig(tmp_path, mosquitto, probe)
