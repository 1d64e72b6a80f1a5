"""MQTT 3.1.1 wire format: splitting a byte stream into packets, decoding and encoding them.

Only structure is checked here (lengths, flags, UTF-8, reserved bits); what a packet means is the
router's business. Any violation raises :class:`MalformedPacketError`, which closes the connection.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14

# Fixed-header flags every packet except PUBLISH must carry (MQTT 3.1.1 section 2.2.2).
REQUIRED_FLAGS = {PUBREL: 0b0010, SUBSCRIBE: 0b0010, UNSUBSCRIBE: 0b0010}

CONNACK_ACCEPTED = 0x00
CONNACK_BAD_PROTOCOL_LEVEL = 0x01
CONNACK_IDENTIFIER_REJECTED = 0x02
SUBACK_FAILURE = 0x80

PINGRESP_PACKET = bytes((PINGRESP << 4, 0))
_U16 = struct.Struct("!H")


class MalformedPacketError(ValueError):
    """The bytes break MQTT 3.1.1; the connection that sent them is closed."""


@dataclass(frozen=True)
class Will:
    """The message a client leaves behind should it vanish without DISCONNECT."""

    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass(frozen=True)
class Connect:
    protocol_name: str
    protocol_level: int
    clean_session: bool
    keepalive: int
    client_id: str
    will: Will | None


@dataclass(frozen=True)
class Publish:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    packet_id: int


class FrameReader:
    """Cuts a TCP byte stream into (packet type, flags, body) triples."""

    def __init__(self, max_packet_size: int) -> None:
        self.max_packet_size = max_packet_size
        self._buffer = bytearray()
        self._pos = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_frame(self) -> tuple[int, int, bytes] | None:
        """The next complete packet, or None until more bytes arrive."""
        buffer, pos = self._buffer, self._pos
        available = len(buffer) - pos
        if available < 2:
            return self._compact(None)
        length = multiplier = 0
        index = pos + 1
        while True:
            if index - pos > 4:
                raise MalformedPacketError("remaining length longer than 4 bytes")
            if index >= len(buffer):
                return self._compact(None)
            byte = buffer[index]
            length += (byte & 0x7F) << multiplier
            multiplier += 7
            index += 1
            if not byte & 0x80:
                break
        total = index - pos + length
        if total > self.max_packet_size:
            raise MalformedPacketError(f"packet of {total} bytes exceeds {self.max_packet_size}")
        if available < total:
            return self._compact(None)
        first = buffer[pos]
        body = bytes(buffer[index:index + length])
        self._pos = pos + total
        return self._compact((first >> 4, first & 0x0F, body))

    def _compact(self, frame: tuple[int, int, bytes] | None) -> tuple[int, int, bytes] | None:
        """Drop consumed bytes now and then, so the buffer does not grow without bound."""
        if self._pos and (self._pos == len(self._buffer) or self._pos > 65536):
            del self._buffer[:self._pos]
            self._pos = 0
        return frame


class _Fields:
    """A cursor over a packet body."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.body):
            raise MalformedPacketError("packet ends inside a field")
        data = self.body[self.pos:end]
        self.pos = end
        return data

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return _U16.unpack(self.take(2))[0]

    def binary(self) -> bytes:
        return self.take(self.u16())

    def text(self) -> str:
        try:
            value = self.binary().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPacketError("string is not well-formed UTF-8") from exc
        if "\x00" in value:
            raise MalformedPacketError("string contains U+0000")
        return value

    def packet_id(self) -> int:
        value = self.u16()
        if value == 0:
            raise MalformedPacketError("packet identifier 0")
        return value

    def rest(self) -> bytes:
        data = self.body[self.pos:]
        self.pos = len(self.body)
        return data

    def end(self) -> None:
        if self.pos != len(self.body):
            raise MalformedPacketError(f"{len(self.body) - self.pos} unexpected bytes at the end")

    @property
    def exhausted(self) -> bool:
        return self.pos >= len(self.body)


def check_flags(packet_type: int, flags: int) -> None:
    if packet_type != PUBLISH and flags != REQUIRED_FLAGS.get(packet_type, 0):
        raise MalformedPacketError(f"packet type {packet_type} with reserved flags {flags:#06b}")


def decode_connect(body: bytes) -> Connect:
    fields = _Fields(body)
    protocol_name = fields.text()
    level = fields.u8()
    flags = fields.u8()
    keepalive = fields.u16()
    if flags & 0x01:
        raise MalformedPacketError("CONNECT reserved flag set")
    will_flag, will_qos, will_retain = bool(flags & 0x04), (flags >> 3) & 0x03, bool(flags & 0x20)
    if will_qos == 3 or (not will_flag and (will_qos or will_retain)):
        raise MalformedPacketError("CONNECT will flags are inconsistent")
    has_username, has_password = bool(flags & 0x80), bool(flags & 0x40)
    if has_password and not has_username and level >= 4:
        raise MalformedPacketError("CONNECT password without user name")
    client_id = fields.text()
    will = None
    if will_flag:
        will = Will(fields.text(), fields.binary(), will_qos, will_retain)
    if has_username:
        fields.text()
    if has_password:
        fields.binary()
    fields.end()
    return Connect(protocol_name, level, bool(flags & 0x02), keepalive, client_id, will)


def decode_publish(flags: int, body: bytes) -> Publish:
    qos = (flags >> 1) & 0x03
    if qos == 3:
        raise MalformedPacketError("PUBLISH with QoS 3")
    fields = _Fields(body)
    topic = fields.text()
    packet_id = fields.packet_id() if qos else 0
    return Publish(topic, fields.rest(), qos, bool(flags & 0x01), packet_id)


def decode_subscribe(body: bytes) -> tuple[int, list[tuple[str, int]]]:
    fields = _Fields(body)
    packet_id = fields.packet_id()
    requests = []
    while not fields.exhausted:
        topic_filter = fields.text()
        qos = fields.u8()
        if qos > 2:
            raise MalformedPacketError(f"SUBSCRIBE requested QoS byte {qos:#04x}")
        requests.append((topic_filter, qos))
    if not requests:
        raise MalformedPacketError("SUBSCRIBE without topic filters")
    return packet_id, requests


def decode_unsubscribe(body: bytes) -> tuple[int, list[str]]:
    fields = _Fields(body)
    packet_id = fields.packet_id()
    filters = []
    while not fields.exhausted:
        filters.append(fields.text())
    if not filters:
        raise MalformedPacketError("UNSUBSCRIBE without topic filters")
    return packet_id, filters


def decode_packet_id(body: bytes) -> int:
    """The body of PUBACK, PUBREC, PUBREL and PUBCOMP."""
    fields = _Fields(body)
    packet_id = fields.packet_id()
    fields.end()
    return packet_id


def decode_empty(body: bytes) -> None:
    """PINGREQ and DISCONNECT carry nothing."""
    _Fields(body).end()


def encode_packet(first_byte: int, *parts: bytes) -> bytes:
    """Fixed header (type and flags byte, remaining length) before the parts."""
    length = sum(len(part) for part in parts)
    header = bytearray((first_byte,))
    while True:
        byte, length = length & 0x7F, length >> 7
        header.append(byte | 0x80 if length else byte)
        if not length:
            break
    return b"".join((header, *parts))


def encode_connack(session_present: bool, code: int) -> bytes:
    return bytes((CONNACK << 4, 2, int(session_present), code))


def encode_publish(topic: bytes, payload: bytes, qos: int, retain: bool, packet_id: int = 0) -> bytes:
    """``topic`` already UTF-8 encoded: a message going to many clients is encoded once."""
    first = PUBLISH << 4 | qos << 1 | int(retain)
    topic_field = _U16.pack(len(topic)) + topic
    if qos:
        return encode_packet(first, topic_field, _U16.pack(packet_id), payload)
    return encode_packet(first, topic_field, payload)


def encode_ack(packet_type: int, packet_id: int) -> bytes:
    """PUBACK, PUBREC, PUBCOMP and UNSUBACK: type and packet identifier only."""
    return bytes((packet_type << 4, 2)) + _U16.pack(packet_id)


def encode_suback(packet_id: int, codes: list[int]) -> bytes:
    return encode_packet(SUBACK << 4, _U16.pack(packet_id), bytes(codes))
