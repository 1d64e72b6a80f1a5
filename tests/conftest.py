"""Fixtures shared by every test: a real mosquitto on a free port, a bus client, a stack."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pycharge.runtime.mqtt import BrokerAddress
from tests.support import host_tools
from tests.support.probe import Probe

EXAMPLE_MODULES = Path(__file__).parent / "example"


def _on_charge_control_c() -> bool:
    try:
        return b"chargebyte,imx6ull-tarragon-" in Path("/proc/device-tree/compatible").read_bytes()
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``hardware`` run only on a Charge Control C (ptest-runner on the board)."""
    if _on_charge_control_c():
        return
    skip = pytest.mark.skip(reason="needs the Charge Control C board "
                                   "(no chargebyte,imx6ull-tarragon-* in the device tree)")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("mosquitto did not start listening")


class Mosquitto:
    """A real mosquitto on a free port; can be stopped and started again (broker-loss tests)."""

    def __init__(self, directory: Path) -> None:
        self.binary = host_tools.path("mosquitto")
        self.port = free_port()
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                             "persistence false\n")
        self.process: subprocess.Popen | None = None
        self.address = BrokerAddress("127.0.0.1", self.port)

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(5)
            self.process = None


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """A mosquitto for the whole session (tests use distinct MQTT prefixes)."""
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def private_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A mosquitto of this test alone, which the test may stop and start."""
    broker = Mosquitto(tmp_path)
    broker.start()
    yield broker
    broker.stop()


class Embedded:
    """The embedded broker, with the same face as :class:`Mosquitto` for the tests."""

    def __init__(self) -> None:
        from pycharge.broker import EmbeddedBroker

        self.broker = EmbeddedBroker(port=0)
        self.broker.start()
        self.port = self.broker.port
        self.address = BrokerAddress("127.0.0.1", self.port)


@pytest.fixture(scope="session")
def embedded_broker() -> Iterator[Embedded]:
    broker = Embedded()
    yield broker
    broker.broker.stop()


@pytest.fixture
def broker(mosquitto: Mosquitto) -> Mosquitto | Embedded:
    """The broker a test's stack uses: mosquitto, unless a test module overrides this."""
    return mosquitto


@pytest.fixture
def probe(broker: Mosquitto | Embedded) -> Iterator[Probe]:
    """An MQTT client that records what it sees on the test's broker."""
    client = Probe(broker.address)
    yield client
    client.close()
