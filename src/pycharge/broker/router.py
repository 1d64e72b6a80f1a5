"""What MQTT 3.1.1 packets mean: sessions by client id, subscriptions, routing, retained, wills.

Deliberate limits, all legal MQTT: subscriptions are granted QoS 1 at most, so messages go out
at QoS 0 or 1; every session is clean (a client asking for a persistent session gets a fresh one
and "session present" 0); user names and passwords are not checked.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from pycharge.broker import codec
from pycharge.broker.codec import MalformedPacketError
from pycharge.broker.connection import Connection
from pycharge.broker.retained import RetainedStore
from pycharge.broker.topics import SubscriptionTree, valid_topic_filter, valid_topic_name

log = logging.getLogger("pycharge.broker")

MAX_GRANTED_QOS = 1
_PROTOCOLS = {("MQTT", 4), ("MQIsdp", 3)}


class Router:
    """Handles decoded packets of every connection; asks the server to close connections."""

    def __init__(self, close: Callable[[Connection, str], None]) -> None:
        self._close = close
        self.clients: dict[str, Connection] = {}
        self.subscriptions = SubscriptionTree()
        self.retained = RetainedStore()
        self._handlers: dict[int, Callable[[Connection, int, bytes], None]] = {
            codec.CONNECT: self._on_connect_again,
            codec.PUBLISH: self._on_publish,
            codec.PUBACK: self._on_puback,
            codec.PUBREL: self._on_pubrel,
            codec.SUBSCRIBE: self._on_subscribe,
            codec.UNSUBSCRIBE: self._on_unsubscribe,
            codec.PINGREQ: self._on_pingreq,
            codec.DISCONNECT: self._on_disconnect,
        }

    # -- entry points (server) ------------------------------------------------------------------
    def handle(self, conn: Connection, packet_type: int, flags: int, body: bytes) -> None:
        """Act on one packet; raises MalformedPacketError for anything MQTT 3.1.1 forbids."""
        codec.check_flags(packet_type, flags)
        if conn.client_id is None:
            if packet_type != codec.CONNECT:
                raise MalformedPacketError(f"packet type {packet_type} before CONNECT")
            self._on_connect(conn, body)
            return
        handler = self._handlers.get(packet_type)
        if handler is None:
            raise MalformedPacketError(f"packet type {packet_type} is not sent by clients")
        handler(conn, flags, body)

    def connection_lost(self, conn: Connection) -> None:
        """Forget the connection's session; publish its will unless it said DISCONNECT."""
        for topic_filter in conn.filters:
            self.subscriptions.remove(topic_filter, conn)
        conn.filters.clear()
        if conn.client_id is not None and self.clients.get(conn.client_id) is conn:
            del self.clients[conn.client_id]
        will, conn.will = conn.will, None
        if will is not None:
            log.debug("publishing the will of %r on %s", conn, will.topic)
            self.route(will.topic, will.payload, will.qos, will.retain)

    def route(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Store if retained; hand to every subscriber at min(granted QoS, message QoS)."""
        if retain:
            self.retained.store(topic, payload, qos)
        subscribers = self.subscriptions.match(topic)
        if not subscribers:
            return
        encoded = topic.encode()
        for subscriber, granted in subscribers.items():
            subscriber.deliver(encoded, payload, min(granted, qos), False)

    # -- packets --------------------------------------------------------------------------------
    def _on_connect(self, conn: Connection, body: bytes) -> None:
        connect = codec.decode_connect(body)
        if (connect.protocol_name, connect.protocol_level) not in _PROTOCOLS:
            if connect.protocol_name not in ("MQTT", "MQIsdp"):
                raise MalformedPacketError(f"unknown protocol name {connect.protocol_name!r}")
            conn.send(codec.encode_connack(False, codec.CONNACK_BAD_PROTOCOL_LEVEL))
            self._close(conn, f"protocol level {connect.protocol_level} not supported")
            return
        if connect.will is not None and not valid_topic_name(connect.will.topic):
            raise MalformedPacketError(f"will topic {connect.will.topic!r} is not a valid topic name")
        client_id = connect.client_id
        if not client_id:
            if not connect.clean_session:
                conn.send(codec.encode_connack(False, codec.CONNACK_IDENTIFIER_REJECTED))
                self._close(conn, "empty client id without clean session")
                return
            client_id = f"auto-{uuid.uuid4().hex}"
        previous = self.clients.get(client_id)
        if previous is not None:
            self._close(previous, f"client id {client_id!r} taken over by {conn.peer}")
        conn.client_id = client_id
        conn.keepalive = connect.keepalive
        conn.will = connect.will
        self.clients[client_id] = conn
        conn.send(codec.encode_connack(False, codec.CONNACK_ACCEPTED))
        log.debug("connected %r (keepalive %d s, will %s)", conn, connect.keepalive,
                  conn.will.topic if conn.will else None)

    def _on_connect_again(self, conn: Connection, flags: int, body: bytes) -> None:
        raise MalformedPacketError("second CONNECT")

    def _on_publish(self, conn: Connection, flags: int, body: bytes) -> None:
        publish = codec.decode_publish(flags, body)
        if not valid_topic_name(publish.topic):
            raise MalformedPacketError(f"PUBLISH to invalid topic name {publish.topic!r}")
        if publish.qos == 2:
            # Deliver on the first PUBLISH, remember its identifier until PUBREL, so that
            # a resent PUBLISH (DUP) is not delivered twice (MQTT 3.1.1 section 4.3.3).
            if publish.packet_id not in conn.qos2_received:
                conn.qos2_received.add(publish.packet_id)
                self.route(publish.topic, publish.payload, 2, publish.retain)
            conn.send(codec.encode_ack(codec.PUBREC, publish.packet_id))
            return
        self.route(publish.topic, publish.payload, publish.qos, publish.retain)
        if publish.qos == 1:
            conn.send(codec.encode_ack(codec.PUBACK, publish.packet_id))

    def _on_pubrel(self, conn: Connection, flags: int, body: bytes) -> None:
        packet_id = codec.decode_packet_id(body)
        conn.qos2_received.discard(packet_id)
        conn.send(codec.encode_ack(codec.PUBCOMP, packet_id))

    def _on_puback(self, conn: Connection, flags: int, body: bytes) -> None:
        conn.unacknowledged.discard(codec.decode_packet_id(body))

    def _on_subscribe(self, conn: Connection, flags: int, body: bytes) -> None:
        packet_id, requests = codec.decode_subscribe(body)
        codes = []
        accepted = []
        for topic_filter, requested in requests:
            if not valid_topic_filter(topic_filter):
                log.debug("%r: refused invalid topic filter %r", conn, topic_filter)
                codes.append(codec.SUBACK_FAILURE)
                continue
            granted = min(requested, MAX_GRANTED_QOS)
            self.subscriptions.add(topic_filter, conn, granted)
            conn.filters[topic_filter] = granted
            codes.append(granted)
            accepted.append((topic_filter, granted))
        conn.send(codec.encode_suback(packet_id, codes))
        for topic_filter, granted in accepted:
            for topic, payload, qos in self.retained.matching(topic_filter):
                conn.deliver(topic.encode(), payload, min(granted, qos), True)

    def _on_unsubscribe(self, conn: Connection, flags: int, body: bytes) -> None:
        packet_id, filters = codec.decode_unsubscribe(body)
        for topic_filter in filters:
            if conn.filters.pop(topic_filter, None) is not None:
                self.subscriptions.remove(topic_filter, conn)
        conn.send(codec.encode_ack(codec.UNSUBACK, packet_id))

    def _on_pingreq(self, conn: Connection, flags: int, body: bytes) -> None:
        codec.decode_empty(body)
        conn.send(codec.PINGRESP_PACKET)

    def _on_disconnect(self, conn: Connection, flags: int, body: bytes) -> None:
        codec.decode_empty(body)
        conn.will = None
        self._close(conn, "client disconnected")
