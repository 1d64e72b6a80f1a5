"""Clients for broker tests: paho on each callback API, and a raw socket for hand-made bytes."""

from __future__ import annotations

import socket
import struct
import threading
import warnings
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho

from pycharge.runtime.mqtt import PAHO_2

# The paho callback APIs this installation offers ("legacy" = paho 1.6, which has only one).
APIS = ["VERSION1", "VERSION2"] if PAHO_2 else ["legacy"]
TIMEOUT = 5.0


def _code(value: Any) -> int:
    """A paho 1.6 int or a paho 2 ReasonCode, as an int."""
    return getattr(value, "value", value)


class PahoClient:
    """A paho client on a chosen callback API that records what it sees; waits, never sleeps."""

    def __init__(self, port: int, api: str, client_id: str = "", keepalive: int = 60,
                 will: tuple[str, bytes, int, bool] | None = None,
                 protocol: int = paho.MQTTv311) -> None:
        if api == "legacy":
            self.client = paho.Client(client_id=client_id, protocol=protocol)
        else:
            with warnings.catch_warnings():   # VERSION1 is deprecated, and tested on purpose
                warnings.simplefilter("ignore", DeprecationWarning)
                self.client = paho.Client(getattr(paho.CallbackAPIVersion, api),
                                          client_id=client_id, protocol=protocol)
        self.messages: list[paho.MQTTMessage] = []
        self.granted: dict[int, list[int]] = {}
        self.unsubscribed: set[int] = set()
        self.connack: int | None = None
        self.disconnects = 0
        self.vanished = False
        self._changed = threading.Condition()
        # Positional arguments cover both callback APIs: v1 (client, userdata, ..., rc) and
        # v2 (client, userdata, ..., reason_code(s), properties).
        self.client.on_connect = lambda *args: self._record("connack", _code(args[3]))
        self.client.on_subscribe = lambda *args: self._record_granted(args[2], args[3])
        self.client.on_unsubscribe = lambda *args: self._record_unsubscribed(args[2])
        self.client.on_disconnect = lambda *args: self._record("disconnects", self.disconnects + 1)
        self.client.on_message = self._on_message
        if will:
            self.client.will_set(*will)
        self.client.connect("127.0.0.1", port, keepalive)
        self.client.loop_start()
        self.wait(lambda: self.connack is not None, "CONNACK")

    def _record(self, name: str, value: Any) -> None:
        with self._changed:
            setattr(self, name, value)
            self._changed.notify_all()

    def _record_granted(self, mid: int, codes: list[Any]) -> None:
        with self._changed:
            self.granted[mid] = [_code(code) for code in codes]
            self._changed.notify_all()

    def _record_unsubscribed(self, mid: int) -> None:
        with self._changed:
            self.unsubscribed.add(mid)
            self._changed.notify_all()

    def _on_message(self, _client: Any, _userdata: Any, message: paho.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
        with self._changed:
            result = self._changed.wait_for(condition, timeout)
        assert result, f"{what} not seen within {timeout} s; messages: {self.received()}"
        return result

    def subscribe(self, topic_filter: str, qos: int = 1) -> list[int]:
        """Subscribe and return the granted QoS codes from the SUBACK."""
        result, mid = self.client.subscribe(topic_filter, qos)
        assert result == paho.MQTT_ERR_SUCCESS
        return self.wait(lambda: self.granted.get(mid), f"SUBACK for {topic_filter}")

    def unsubscribe(self, topic_filter: str) -> None:
        result, mid = self.client.unsubscribe(topic_filter)
        assert result == paho.MQTT_ERR_SUCCESS
        self.wait(lambda: mid in self.unsubscribed, f"UNSUBACK for {topic_filter}")

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        """Publish and wait until paho completed the QoS flow (for QoS 0: handed to the socket)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), f"publish to {topic} at QoS {qos} not completed"

    def wait_for_messages(self, count: int, topic: str | None = None) -> list[paho.MQTTMessage]:
        """Wait until ``count`` messages (on ``topic``, if given) arrived; return them."""
        def matching() -> list[paho.MQTTMessage]:
            return [m for m in self.messages if topic is None or m.topic == topic]
        self.wait(lambda: len(matching()) >= count, f"{count} messages on {topic or 'any topic'}")
        return matching()

    def received(self) -> list[tuple[str, bytes, int, bool]]:
        with self._changed:
            return [(m.topic, m.payload, m.qos, bool(m.retain)) for m in self.messages]

    def vanish(self) -> None:
        """Drop the connection without DISCONNECT, as a crashed client would."""
        self.client.loop_stop()
        self.client.socket().close()
        self.vanished = True

    def close(self) -> None:
        if not self.vanished:
            self.client.disconnect()
            self.client.loop_stop()


# -- raw MQTT bytes ------------------------------------------------------------------------------
def string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def packet(first_byte: int, body: bytes) -> bytes:
    """Fixed header (type/flags byte, remaining length) plus body."""
    length, header = len(body), bytearray((first_byte,))
    while True:
        byte, length = length & 0x7F, length >> 7
        header.append(byte | 0x80 if length else byte)
        if not length:
            return bytes(header) + body


def connect_packet(client_id: str, keepalive: int = 60, will: tuple[str, bytes] | None = None,
                   clean: bool = True, name: str = "MQTT", level: int = 4) -> bytes:
    flags = 0x02 if clean else 0
    tail = b""
    if will:
        flags |= 0x04
        tail = string(will[0]) + string(will[1])
    return packet(0x10, string(name) + bytes((level, flags)) + struct.pack("!H", keepalive)
                  + string(client_id) + tail)


def publish_packet(topic: str | bytes, payload: bytes, qos: int = 0, packet_id: int = 0,
                   retain: bool = False, dup: bool = False) -> bytes:
    first = 0x30 | dup << 3 | qos << 1 | int(retain)
    return packet(first, string(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload)


def subscribe_packet(packet_id: int, topic_filter: str, qos: int = 1) -> bytes:
    return packet(0x82, struct.pack("!H", packet_id) + string(topic_filter) + bytes((qos,)))


PINGREQ = bytes((0xC0, 0))
PINGRESP = bytes((0xD0, 0))
DISCONNECT = bytes((0xE0, 0))


class RawClient:
    """A plain TCP socket speaking MQTT by hand, for what paho would never send."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)

    @classmethod
    def unix(cls, path: str) -> RawClient:
        client = cls.__new__(cls)
        client.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.sock.settimeout(TIMEOUT)
        client.sock.connect(path)
        return client

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def connect(self, client_id: str, **options: Any) -> bytes:
        """Send CONNECT, return the CONNACK packet."""
        self.send(connect_packet(client_id, **options))
        return self.read_packet()

    def subscribe(self, topic_filter: str, qos: int = 1, packet_id: int = 1) -> bytes:
        """Send SUBSCRIBE, return the SUBACK packet."""
        self.send(subscribe_packet(packet_id, topic_filter, qos))
        return self.read_packet()

    def _read_exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed by the broker")
            data += chunk
        return data

    def read_packet(self) -> bytes:
        """One whole packet, fixed header included."""
        header = self._read_exactly(2)
        length, shift = header[1] & 0x7F, 7
        while header[-1] & 0x80:
            header += self._read_exactly(1)
            length += (header[-1] & 0x7F) << shift
            shift += 7
        return header + self._read_exactly(length)

    def read_publish(self) -> tuple[str, bytes, int, bool]:
        """The next PUBLISH as (topic, payload, QoS, retain); acknowledges QoS 1."""
        data = self.read_packet()
        assert data[0] >> 4 == 3, f"expected PUBLISH, got {data!r}"
        qos, retain = (data[0] >> 1) & 3, bool(data[0] & 1)
        body_start = 2
        while data[body_start - 1] & 0x80:
            body_start += 1
        size = struct.unpack("!H", data[body_start:body_start + 2])[0]
        topic = data[body_start + 2:body_start + 2 + size].decode()
        rest = data[body_start + 2 + size:]
        if qos:
            self.send(bytes((0x40, 2)) + rest[:2])
            rest = rest[2:]
        return topic, rest, qos, retain

    def closed_by_broker(self, timeout: float = TIMEOUT) -> bool:
        """True once the broker closed the connection (whatever it sent before)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()
