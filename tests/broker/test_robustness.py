"""Hand-made bytes on raw sockets: protocol details and misbehaving clients.

Whatever a client sends, at worst its own connection is closed; everybody else carries on.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable

import pytest

from pycharge.broker import EmbeddedBroker
from pycharge.broker.connection import MAX_BACKLOG
from tests.broker.clients import (
    PINGREQ,
    PINGRESP,
    PahoClient,
    RawClient,
    connect_packet,
    packet,
    publish_packet,
    string,
    subscribe_packet,
)

Factory = Callable[..., PahoClient]
Raw = Callable[[], RawClient]
CONNACK_OK = b"\x20\x02\x00\x00"


@pytest.mark.parametrize(("connect_first", "data"), [
    (False, b"\xff\xff\xff\xff\xff"),                                    # not MQTT at all
    (False, publish_packet("t", b"x")),                                  # PUBLISH before CONNECT
    (False, packet(0x10, string("XYZW") + b"\x04\x02\x00\x3c" + string("x"))),  # unknown protocol
    (False, connect_packet("x")[:-3] + b"\x00\x01\xff"),                # client id not UTF-8
    (True, b"\x30\xff\xff\xff\xff\x01"),                                 # remaining length 5 bytes
    (True, b"\x30\x80\x80\x80\x01" + b"x" * 100),                       # 2 MiB announced
    (True, connect_packet("again")),                                     # second CONNECT
    (True, publish_packet("a/+", b"x")),                                 # wildcard in topic name
    (True, publish_packet("", b"x")),                                    # empty topic name
    (True, publish_packet(b"\xc3\x28", b"x")),                          # topic not UTF-8
    (True, publish_packet("a\x00b", b"x")),                              # U+0000 in topic
    (True, publish_packet("t", b"x", qos=1, packet_id=0)),               # packet identifier 0
    (True, packet(0x36, string("t") + b"\x00\x01")),                     # QoS 3
    (True, packet(0x80, b"\x00\x01" + string("t") + b"\x01")),          # SUBSCRIBE flags 0000
    (True, packet(0x82, b"\x00\x01")),                                   # SUBSCRIBE, no filter
    (True, packet(0x82, b"\x00\x01" + string("t") + b"\x03")),          # SUBSCRIBE QoS 3
    (True, packet(0xA2, b"\x00\x01")),                                   # UNSUBSCRIBE, no filter
    (True, packet(0x60, b"\x00\x01")),                                   # PUBREL flags 0000
    (True, packet(0x40, b"\x00\x01\x00")),                               # PUBACK too long
    (True, CONNACK_OK),                                                  # server-only packet
    (True, b"\xf0\x00"),                                                 # reserved type 15
    (True, b"\xc0\x01\x00"),                                             # PINGREQ with a body
])
def test_malformed_packet_closes_only_that_connection(broker: EmbeddedBroker, raw_client: Raw,
                                                      paho_client: Factory, connect_first: bool,
                                                      data: bytes) -> None:
    subscriber, publisher = paho_client(), paho_client()
    subscriber.subscribe("healthy", 1)
    offender = raw_client()
    if connect_first:
        assert offender.connect("offender") == CONNACK_OK
    offender.send(data)
    assert offender.closed_by_broker()
    publisher.publish("healthy", b"still here", qos=1)
    assert subscriber.wait_for_messages(1)[0].payload == b"still here"
    assert broker._thread.is_alive()


def test_packet_size_limit_is_exact() -> None:
    with EmbeddedBroker(max_packet_size=1000) as broker:
        client = RawClient(broker.port)
        client.connect("limits")
        client.subscribe("big", 0)
        fits = publish_packet("big", b"x" * (1000 - 8))   # 3 header + 5 topic + payload
        assert len(fits) == 1000
        client.send(fits)
        assert client.read_packet() == fits
        client.send(publish_packet("big", b"x" * (1000 - 7)))
        assert client.closed_by_broker()
        client.close()


def test_oversized_packet_is_refused_by_the_default_limit(raw_client: Raw, paho_client: Factory
                                                          ) -> None:
    subscriber = paho_client()
    subscriber.subscribe("big", 0)
    offender = raw_client()
    offender.connect("big-sender")
    # The broker may hang up as soon as it has read the length, before the body is all sent.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        offender.send(publish_packet("big", bytes(1024 * 1024)))
    assert offender.closed_by_broker()
    paho_client().publish("big", bytes(1024 * 1024 - 100), qos=1)   # just below passes
    assert len(subscriber.wait_for_messages(1)[0].payload) == 1024 * 1024 - 100


def test_packets_split_into_single_bytes_and_glued_together(raw_client: Raw) -> None:
    client = raw_client()
    for byte in connect_packet("bytewise"):
        client.send(bytes((byte,)))
    assert client.read_packet() == CONNACK_OK
    client.send(subscribe_packet(7, "echo", 1) + publish_packet("echo", b"back", qos=0) + PINGREQ)
    assert client.read_packet() == b"\x90\x03\x00\x07\x01"
    assert client.read_publish() == ("echo", b"back", 0, False)
    assert client.read_packet() == PINGRESP


def test_invalid_filter_fails_in_the_suback_and_the_rest_is_granted(raw_client: Raw) -> None:
    client = raw_client()
    client.connect("filters")
    filters = [("a/b#", 1), ("a/+", 2), ("#/a", 0), ("", 0), ("+", 0)]
    body = b"\x00\x05" + b"".join(string(f) + bytes((qos,)) for f, qos in filters)
    client.send(packet(0x82, body))
    assert client.read_packet() == b"\x90\x07\x00\x05" + bytes((0x80, 1, 0x80, 0x80, 0))


def test_qos2_resent_publish_is_delivered_once(raw_client: Raw) -> None:
    subscriber, publisher = raw_client(), raw_client()
    subscriber.connect("qos2-sub")
    subscriber.subscribe("exactly")
    publisher.connect("qos2-pub")
    publisher.send(publish_packet("exactly", b"once", qos=2, packet_id=7))
    assert publisher.read_packet() == b"\x50\x02\x00\x07"   # PUBREC
    publisher.send(publish_packet("exactly", b"once", qos=2, packet_id=7, dup=True))
    assert publisher.read_packet() == b"\x50\x02\x00\x07"
    publisher.send(b"\x62\x02\x00\x07")                      # PUBREL
    assert publisher.read_packet() == b"\x70\x02\x00\x07"   # PUBCOMP
    publisher.send(publish_packet("exactly", b"marker", qos=1, packet_id=8))
    assert subscriber.read_publish() == ("exactly", b"once", 1, False)
    assert subscriber.read_publish() == ("exactly", b"marker", 1, False)


def test_outgoing_qos1_packet_identifiers_are_distinct_until_acknowledged(raw_client: Raw) -> None:
    subscriber, publisher = raw_client(), raw_client()
    subscriber.connect("ids")
    subscriber.subscribe("ids")
    publisher.connect("ids-pub")
    for _ in range(3):
        publisher.send(publish_packet("ids", b"m", qos=1, packet_id=1))
        publisher.read_packet()
    ids = []
    for _ in range(3):
        data = subscriber.read_packet()
        ids.append(struct.unpack("!H", data[2 + 5:2 + 7])[0])   # after the topic "ids"
    assert len(set(ids)) == 3 and 0 not in ids


def test_a_client_that_stops_reading_does_not_stall_the_others(broker: EmbeddedBroker,
                                                               raw_client: Raw,
                                                               paho_client: Factory) -> None:
    stuck = raw_client()
    stuck.connect("stuck")
    stuck.subscribe("flood", 0)
    reader = paho_client()
    reader.subscribe("flood", 0)
    publisher = paho_client()
    chunk = bytes(512 * 1024)
    for _ in range(48):   # 24 MiB: more than the kernel buffers and the broker's backlog
        publisher.publish("flood", chunk, qos=1)
    assert len(reader.wait_for_messages(48, "flood")) == 48
    stuck_connection = broker.router.clients["stuck"]   # its backlog is bounded: it lost some
    assert stuck_connection.dropped > 0
    assert stuck_connection.backlog <= MAX_BACKLOG + len(chunk) + 100
