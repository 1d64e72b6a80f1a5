"""The MQTT connection: broker addresses, socket options, unix sockets."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pycharge.broker import EmbeddedBroker
from pycharge.runtime.mqtt import BrokerAddress, MqttConnection
from pycharge.runtime.usererror import UserError
from tests.conftest import Mosquitto


@pytest.mark.parametrize(("text", "address"), [
    ("localhost:1883", BrokerAddress("localhost", 1883)),
    ("10.0.0.1", BrokerAddress("10.0.0.1", 1883)),
    ("unix:/run/mosquitto.sock", BrokerAddress(socket_path="/run/mosquitto.sock")),
    ("/run/mosquitto.sock", BrokerAddress(socket_path="/run/mosquitto.sock")),
])
def test_broker_addresses(text: str, address: BrokerAddress) -> None:
    assert BrokerAddress.parse(text) == address


def test_a_bad_port_is_a_user_error() -> None:
    with pytest.raises(UserError, match="the port must be a number"):
        BrokerAddress.parse("localhost:mqtt")


def test_small_messages_are_not_delayed_by_nagle(mosquitto: Mosquitto) -> None:
    """Commands and answers go out at once (TCP_NODELAY): Nagle cost ~40 ms per round trip."""
    connection = MqttConnection(mosquitto.address)
    connection.start()
    try:
        sock = connection._client.socket()
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        connection.stop()


def test_a_unix_socket_broker_is_reached(tmp_path: Path) -> None:
    broker = EmbeddedBroker(socket_path=str(tmp_path / "mqtt.sock"))
    broker.start()
    connection = MqttConnection(BrokerAddress.parse(f"unix:{tmp_path / 'mqtt.sock'}"))
    try:
        connection.start()
        assert connection.connected.is_set()
    finally:
        connection.stop()
        broker.stop()
