"""Publish and subscribe through the embedded broker with real paho clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.broker.clients import PahoClient, RawClient, publish_packet

Factory = Callable[..., PahoClient]


def test_connect_is_accepted(paho_client: Factory) -> None:
    assert paho_client(client_id="plain").connack == 0


@pytest.mark.parametrize("sub_qos", [0, 1, 2])
@pytest.mark.parametrize("pub_qos", [0, 1, 2])
def test_round_trip_at_the_lower_qos_with_at_most_qos_1_granted(paho_client: Factory, pub_qos: int,
                                                                sub_qos: int) -> None:
    subscriber, publisher = paho_client(), paho_client()
    assert subscriber.subscribe("qos/test", sub_qos) == [min(sub_qos, 1)]
    publisher.publish("qos/test", b"payload", qos=pub_qos)
    [message] = subscriber.wait_for_messages(1)
    assert (message.topic, message.payload) == ("qos/test", b"payload")
    assert message.qos == min(pub_qos, sub_qos, 1)
    assert not message.retain


@pytest.mark.parametrize("qos", [0, 1])
def test_messages_keep_their_order(paho_client: Factory, qos: int) -> None:
    subscriber, publisher = paho_client(), paho_client()
    subscriber.subscribe("order", 1)
    for index in range(200):
        publisher.client.publish("order", str(index), qos=qos)
    messages = subscriber.wait_for_messages(200)
    assert [int(m.payload) for m in messages] == list(range(200))


@pytest.mark.parametrize(("topic_filter", "delivered"), [
    ("sport/+/player1", ["sport/tennis/player1", "sport/golf/player1"]),
    ("sport/#", ["sport", "sport/tennis/player1", "sport/golf/player1", "sport/tennis"]),
    ("sport/tennis/#", ["sport/tennis/player1", "sport/tennis"]),
    ("+", ["sport"]),
    ("+/+", ["sport/tennis", "/finance"]),
    ("#", ["sport", "sport/tennis/player1", "sport/golf/player1", "sport/tennis", "/finance"]),
    ("$SYS/#", ["$SYS/broker/load"]),
    ("+/broker/load", []),
])
def test_wildcards_and_the_dollar_rule(paho_client: Factory, topic_filter: str,
                                       delivered: list[str]) -> None:
    topics = ["sport", "sport/tennis/player1", "sport/golf/player1", "sport/tennis", "/finance",
              "$SYS/broker/load"]
    subscriber, publisher = paho_client(), paho_client()
    subscriber.subscribe(topic_filter, 1)
    subscriber.subscribe("end", 1)
    for topic in [*topics, "end"]:
        publisher.publish(topic, b"x", qos=1)
    subscriber.wait_for_messages(1, "end")
    assert [m.topic for m in subscriber.messages[:-1]] == [t for t in topics if t in delivered]


def test_overlapping_subscriptions_deliver_once_at_the_highest_qos(paho_client: Factory) -> None:
    subscriber, publisher = paho_client(), paho_client()
    subscriber.subscribe("a/#", 0)
    subscriber.subscribe("a/+", 1)
    subscriber.subscribe("end", 1)
    publisher.publish("a/b", b"one", qos=1)
    publisher.publish("end", b"", qos=1)
    subscriber.wait_for_messages(1, "end")
    assert subscriber.received()[:-1] == [("a/b", b"one", 1, False)]


def test_unsubscribe_stops_delivery(paho_client: Factory) -> None:
    subscriber, publisher = paho_client(), paho_client()
    subscriber.subscribe("unsub/#", 1)
    subscriber.subscribe("marker", 1)
    publisher.publish("unsub/a", b"before", qos=1)
    subscriber.wait_for_messages(1, "unsub/a")
    subscriber.unsubscribe("unsub/#")
    publisher.publish("unsub/a", b"after", qos=1)
    publisher.publish("marker", b"", qos=1)
    subscriber.wait_for_messages(1, "marker")
    assert [m.payload for m in subscriber.messages if m.topic == "unsub/a"] == [b"before"]


def test_retained_set_replace_and_delete(paho_client: Factory) -> None:
    publisher = paho_client()
    publisher.publish("retained/a", b"first", qos=1, retain=True)
    publisher.publish("retained/a", b"second", qos=0, retain=True)
    publisher.publish("retained/b", b"other", qos=1, retain=True)
    late = paho_client()
    late.subscribe("retained/#", 1)
    late.wait_for_messages(2)
    assert sorted(late.received()) == [("retained/a", b"second", 0, True),
                                       ("retained/b", b"other", 1, True)]

    publisher.publish("retained/a", b"", qos=1, retain=True)   # deletes, and still goes out once
    deletion = late.wait_for_messages(2, "retained/a")[1]
    assert (deletion.payload, deletion.qos, deletion.retain) == (b"", 1, False)
    later = paho_client()
    later.subscribe("retained/#", 1)
    later.subscribe("marker", 1)
    publisher.publish("marker", b"", qos=1)
    later.wait_for_messages(1, "marker")
    assert later.received() == [("retained/b", b"other", 1, True), ("marker", b"", 1, False)]


def test_retained_is_delivered_at_the_granted_qos(paho_client: Factory) -> None:
    paho_client().publish("retained/q", b"v", qos=2, retain=True)
    subscriber = paho_client()
    subscriber.subscribe("retained/q", 0)
    assert [(m.qos, m.retain) for m in subscriber.wait_for_messages(1)] == [(0, True)]


def test_many_clients_each_get_their_own_and_the_shared_messages(paho_client: Factory) -> None:
    clients = [paho_client(client_id=f"many-{index}") for index in range(20)]
    for index, client in enumerate(clients):
        client.subscribe(f"many/{index}", 1)
        client.subscribe("many/all", 0)
    publisher = paho_client()
    for index in range(len(clients)):
        publisher.publish(f"many/{index}", str(index).encode(), qos=1)
    publisher.publish("many/all", b"everyone", qos=1)
    for index, client in enumerate(clients):
        client.wait_for_messages(1, "many/all")
        assert [(m.topic, m.payload) for m in client.messages] == [
            (f"many/{index}", str(index).encode()), ("many/all", b"everyone")]


def test_hundreds_of_raw_connections_are_served(raw_client: Callable[[], RawClient]) -> None:
    clients = [raw_client() for _ in range(200)]
    for index, client in enumerate(clients):
        assert client.connect(f"raw-{index}") == b"\x20\x02\x00\x00"
        assert client.subscribe("fan/+") == b"\x90\x03\x00\x01\x01"
    clients[0].send(publish_packet("fan/out", b"hello", qos=1, packet_id=9))
    assert clients[0].read_publish() == ("fan/out", b"hello", 1, False)   # before the PUBACK
    assert clients[0].read_packet() == b"\x40\x02\x00\x09"
    for client in clients[1:]:
        assert client.read_publish() == ("fan/out", b"hello", 1, False)
