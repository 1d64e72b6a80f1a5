"""The MQTT wire format: framing a byte stream, decoding and encoding packets."""

from __future__ import annotations

import pytest

from pycharge.broker import codec
from pycharge.broker.codec import FrameReader, MalformedPacketError
from tests.broker.clients import connect_packet, packet, publish_packet


@pytest.mark.parametrize("size", [3, 127, 128, 16383, 16384, 2097151, 2097152])
def test_remaining_length_round_trip_at_every_boundary(size: int) -> None:
    payload = b"x" * (size - 3)   # the topic field "t" takes 3 bytes
    data = codec.encode_publish(b"t", payload, 0, False)
    assert data == publish_packet("t", payload)
    reader = FrameReader(max_packet_size=4 * 1024 * 1024)
    reader.feed(data)
    assert reader.next_frame() == (codec.PUBLISH, 0, data[-size:])
    assert len(data) - size == 2 + (size > 127) + (size > 16383) + (size > 2097151)


def test_frames_arrive_in_pieces_and_together() -> None:
    stream = connect_packet("c") + publish_packet("a", b"1") + publish_packet("b", b"2", qos=1,
                                                                              packet_id=5)
    reader = FrameReader(1024)
    frames = []
    for byte in stream[:-1]:
        reader.feed(bytes((byte,)))
        while (frame := reader.next_frame()) is not None:
            frames.append(frame)
    assert [f[0] for f in frames] == [codec.CONNECT, codec.PUBLISH]
    reader.feed(stream[-1:] + publish_packet("c", b"3"))
    frames += [reader.next_frame(), reader.next_frame()]
    assert reader.next_frame() is None
    assert codec.decode_publish(frames[2][1], frames[2][2]) == codec.Publish("b", b"2", 1, False, 5)
    assert codec.decode_publish(frames[3][1], frames[3][2]).topic == "c"


def test_size_limit_applies_as_soon_as_the_length_is_known() -> None:
    reader = FrameReader(max_packet_size=100)
    reader.feed(b"\x30\x80\x01")   # 128 bytes announced, none sent
    with pytest.raises(MalformedPacketError, match="exceeds 100"):
        reader.next_frame()


def test_decode_connect_with_will_and_credentials() -> None:
    body = packet(0x10, b"\x00\x04MQTT\x04\xee\x00\x1e" + b"\x00\x02id" + b"\x00\x01w"
                  + b"\x00\x03bye" + b"\x00\x04user" + b"\x00\x02pw")[2:]
    connect = codec.decode_connect(body)
    assert connect == codec.Connect("MQTT", 4, True, 30, "id", codec.Will("w", b"bye", 1, True))


@pytest.mark.parametrize("flags", [0x03, 0x1E, 0x22, 0x40])
def test_inconsistent_connect_flags_are_malformed(flags: int) -> None:
    body = b"\x00\x04MQTT\x04" + bytes((flags,)) + b"\x00\x1e\x00\x02id"
    with pytest.raises(MalformedPacketError):
        codec.decode_connect(body)


def test_encoders() -> None:
    assert codec.encode_connack(False, 0) == b"\x20\x02\x00\x00"
    assert codec.encode_ack(codec.PUBACK, 258) == b"\x40\x02\x01\x02"
    assert codec.encode_suback(1, [0, 1, 0x80]) == b"\x90\x05\x00\x01\x00\x01\x80"
    assert codec.encode_publish(b"a", b"p", 1, True, 7) == b"\x33\x06\x00\x01a\x00\x07p"
