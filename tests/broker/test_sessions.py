"""Connections as sessions: CONNACK codes, wills, keep-alive and client-id takeover."""

from __future__ import annotations

import time
from collections.abc import Callable

import paho.mqtt.client as paho
import pytest

from pycharge.broker import EmbeddedBroker
from tests.broker.clients import (
    APIS,
    DISCONNECT,
    PINGREQ,
    PINGRESP,
    PahoClient,
    RawClient,
)

Factory = Callable[..., PahoClient]
Raw = Callable[[], RawClient]


def test_mqtt_3_1_clients_are_accepted(paho_client: Factory) -> None:
    subscriber = paho_client(protocol=paho.MQTTv31)
    subscriber.subscribe("old/protocol", 1)
    paho_client().publish("old/protocol", b"hi", qos=1)
    assert subscriber.wait_for_messages(1)[0].payload == b"hi"


@pytest.mark.parametrize(("options", "connack"), [
    ({"level": 5}, b"\x20\x02\x00\x01"),             # MQTT 5 is not spoken here
    ({"name": "MQIsdp", "level": 4}, b"\x20\x02\x00\x01"),
    ({"clean": False, "client_id": ""}, b"\x20\x02\x00\x02"),
])
def test_unacceptable_connect_is_refused_and_closed(raw_client: Raw, options: dict,
                                                    connack: bytes) -> None:
    client = raw_client()
    assert client.connect(**{"client_id": "refused", **options}) == connack
    assert client.closed_by_broker()


def test_persistent_session_request_gets_a_clean_session(raw_client: Raw) -> None:
    assert raw_client().connect("persistent", clean=False) == b"\x20\x02\x00\x00"


def test_empty_client_id_gets_one_assigned(raw_client: Raw) -> None:
    first, second = raw_client(), raw_client()
    assert first.connect("") == b"\x20\x02\x00\x00"
    assert second.connect("") == b"\x20\x02\x00\x00"
    first.send(PINGREQ)   # the second did not take the first over
    assert first.read_packet() == PINGRESP


def test_will_is_published_when_the_client_vanishes(paho_client: Factory, raw_client: Raw) -> None:
    watcher = paho_client()
    watcher.subscribe("wills/#", 1)
    client = raw_client()
    client.connect("mortal", will=("wills/mortal", b"gone"))
    client.close()
    [will] = watcher.wait_for_messages(1)
    assert (will.topic, will.payload) == ("wills/mortal", b"gone")


def test_paho_will_with_retain_and_qos(paho_client: Factory) -> None:
    mortal = paho_client(client_id="paho-mortal", will=("wills/paho", b"offline", 1, True))
    mortal.vanish()
    late = paho_client()
    late.subscribe("wills/#", 1)
    assert late.wait_for_messages(1)[0].payload == b"offline"
    assert late.received() == [("wills/paho", b"offline", 1, True)]


def test_no_will_after_disconnect(paho_client: Factory, raw_client: Raw) -> None:
    watcher = paho_client()
    watcher.subscribe("wills/#", 1)
    client = raw_client()
    client.connect("polite", will=("wills/polite", b"gone"))
    client.send(DISCONNECT)
    assert client.closed_by_broker()
    watcher.subscribe("marker", 1)
    paho_client().publish("marker", b"", qos=1)
    watcher.wait_for_messages(1, "marker")
    assert watcher.received() == [("marker", b"", 1, False)]


def test_keepalive_expiry_after_one_and_a_half_periods(raw_client: Raw) -> None:
    watcher = raw_client()
    watcher.connect("watcher")
    watcher.subscribe("wills/#")
    client = raw_client()
    client.connect("silent", keepalive=1, will=("wills/silent", b"timed out"))
    connected = time.monotonic()
    assert client.closed_by_broker()
    elapsed = time.monotonic() - connected
    assert 1.5 <= elapsed < 3.0
    assert watcher.read_publish() == ("wills/silent", b"timed out", 0, False)


def test_every_packet_restarts_the_keepalive_period(raw_client: Raw) -> None:
    client = raw_client()
    client.connect("pinging", keepalive=1)
    for _ in range(3):   # 3 x 0.6 s is past 1.5 s, but no gap is
        time.sleep(0.6)   # the broker's timer is what is tested: time has to pass
        client.send(PINGREQ)
        assert client.read_packet() == PINGRESP


def test_paho_with_a_short_keepalive_stays_connected(broker: EmbeddedBroker) -> None:
    client = PahoClient(broker.port, APIS[-1], keepalive=1)
    try:
        client.subscribe("alive", 1)
        time.sleep(2.0)   # the broker's timer is what is tested: time has to pass
        assert client.disconnects == 0
        client.publish("alive", b"yes", qos=1)
        assert client.wait_for_messages(1)[0].payload == b"yes"
    finally:
        client.close()


def test_same_client_id_takes_the_old_connection_over(paho_client: Factory, raw_client: Raw) -> None:
    watcher = paho_client()
    watcher.subscribe("wills/#", 1)
    old = raw_client()
    old.connect("twin", will=("wills/twin", b"old one gone"))
    new = paho_client(client_id="twin")
    assert old.closed_by_broker()
    assert watcher.wait_for_messages(1)[0].payload == b"old one gone"
    new.subscribe("twin/topic", 1)
    watcher.publish("twin/topic", b"for the new one", qos=1)
    assert new.wait_for_messages(1)[0].payload == b"for the new one"
    assert new.disconnects == 0


def test_subscriptions_end_with_the_connection(paho_client: Factory, raw_client: Raw) -> None:
    first = raw_client()
    first.connect("again")
    assert first.subscribe("a/b") == b"\x90\x03\x00\x01\x01"
    first.send(DISCONNECT)
    assert first.closed_by_broker()
    second = raw_client()
    second.connect("again")
    paho_client().publish("a/b", b"nobody listens", qos=1)
    second.send(PINGREQ)
    assert second.read_packet() == PINGRESP   # not a PUBLISH left over from the old session
