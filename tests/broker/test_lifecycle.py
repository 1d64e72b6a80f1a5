"""Starting and stopping the broker: threads, ports, the preferred port, unix sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pycharge.broker import EmbeddedBroker
from pycharge.runtime.mqtt import BrokerAddress, MqttConnection
from tests.broker.clients import APIS, PINGREQ, PINGRESP, PahoClient, RawClient
from tests.conftest import free_port
from tests.support.waiting import wait_until


def test_stop_closes_connections_ends_the_thread_and_frees_the_port() -> None:
    before = set(threading.enumerate())
    broker = EmbeddedBroker(port=0)
    broker.start()
    [thread] = [t for t in set(threading.enumerate()) - before if t.name == "pycharge-broker"]
    raw = RawClient(broker.port)
    raw.connect("raw")
    paho_client = PahoClient(broker.port, APIS[-1])
    port = broker.port

    broker.stop()
    assert not thread.is_alive()
    assert raw.closed_by_broker(timeout=1)
    paho_client.wait(lambda: paho_client.disconnects, "disconnect")
    paho_client.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

    raw.close()
    again = EmbeddedBroker(port=port)   # the same port is free for the next broker
    again.start()
    try:
        client = RawClient(port)
        assert client.connect("again") == b"\x20\x02\x00\x00"
        client.close()
    finally:
        again.stop()


def test_stop_twice_and_without_start_is_harmless() -> None:
    EmbeddedBroker().stop()
    broker = EmbeddedBroker()
    broker.start()
    broker.stop()
    broker.stop()


def test_start_preferring_takes_the_port_when_free() -> None:
    port = free_port()
    broker = EmbeddedBroker.start_preferring(port)
    try:
        assert broker.port == port
    finally:
        broker.stop()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_start_preferring_falls_back_when_the_port_is_taken(taken_port: int) -> None:
    broker = EmbeddedBroker.start_preferring(taken_port)
    try:
        assert broker.port not in (taken_port, 0)
        client = RawClient(broker.port)
        assert client.connect("fallback") == b"\x20\x02\x00\x00"
        client.close()
    finally:
        broker.stop()


def test_start_on_a_taken_port_raises(taken_port: int) -> None:
    with pytest.raises(OSError, match="in use"):
        EmbeddedBroker(port=taken_port).start()


def test_unix_socket_with_the_runtime_connection(tmp_path: Path) -> None:
    path = tmp_path / "broker.sock"
    broker = EmbeddedBroker(socket_path=str(path))
    broker.start()
    connection = MqttConnection(BrokerAddress(socket_path=str(path)), name="unix-test")
    seen: list[tuple[str, bytes]] = []
    try:
        connection.start()
        connection.subscribe("unix/#", lambda topic, payload: seen.append((topic, payload)))
        client = RawClient.unix(str(path))
        client.connect("raw-unix")
        client.send(PINGREQ)
        assert client.read_packet() == PINGRESP
        client.close()
        connection.publish("unix/a", b"over a unix socket")
        wait_until(lambda: seen, what="message over the unix socket")
        assert seen == [("unix/a", b"over a unix socket")]
    finally:
        connection.stop()
        broker.stop()
    assert not path.exists()
