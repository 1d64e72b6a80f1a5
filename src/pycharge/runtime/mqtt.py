"""One MQTT connection per process, shared by every module hosted in it.

Works with paho-mqtt 1.6 (Yocto kirkstone) and 2.x. Subscriptions are kept here and renewed
after every reconnect; incoming messages are dispatched by topic filter to handlers, which must
return quickly (module hosts queue the work on the module's own thread).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

import paho.mqtt.client as paho

from pycharge.runtime.threadname import name_native_thread
from pycharge.runtime.topics import publishable
from pycharge.runtime.usererror import UserError

log = logging.getLogger("pycharge.mqtt")

Handler = Callable[[str, bytes], None]
PAHO_2 = hasattr(paho, "CallbackAPIVersion")
MAX_ROUTES = 4096  # distinct topics remembered; a client flooding new topics resets it
_ids = count(1)


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is: TCP host and port, or a unix socket path."""

    host: str = "localhost"
    port: int = 1883
    socket_path: str | None = None

    def __str__(self) -> str:
        return f"unix:{self.socket_path}" if self.socket_path else f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> BrokerAddress:
        """``host:port``, ``host`` or ``unix:/path`` (or just an absolute path)."""
        if text.startswith("unix:") or text.startswith("/"):
            return cls(socket_path=text.removeprefix("unix:"))
        host, _, port = text.rpartition(":")
        if not host:
            return cls(host=text)
        if not port.isdigit():
            raise UserError(f"broker address '{text}': the port must be a number")
        return cls(host=host, port=int(port))


class _Client(paho.Client):
    """paho's client, taught to reach a unix socket on paho 1.6 as well."""

    socket_path: str | None = None

    def _create_socket_connection(self):  # type: ignore[no-untyped-def]
        if self.socket_path and not PAHO_2:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.socket_path)
            return sock
        sock = super()._create_socket_connection()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # Commands and answers are small and go out back to back: without this, Nagle's
            # algorithm holds the second until the broker's delayed ACK (about 40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class MqttConnection:
    """A paho client with reconnects, resubscription and topic-filter dispatch."""

    def __init__(self, address: BrokerAddress, name: str = "pycharge",
                 max_payload: int = 256 * 1024) -> None:
        self.address = address
        self.max_payload = max_payload
        client_id = f"{name}-{os.getpid()}-{next(_ids)}"
        transport = "unix" if address.socket_path and PAHO_2 else "tcp"
        if PAHO_2:
            self._client = _Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                                   clean_session=True, transport=transport)
        else:
            self._client = _Client(client_id=client_id, clean_session=True)
        self._client.socket_path = address.socket_path
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client.max_queued_messages_set(1000)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._lock = threading.Lock()
        self._handlers: dict[str, list[Handler]] = {}
        self._routes: dict[str, list[Handler]] = {}  # topic -> handlers, until filters change
        self.connected = threading.Event()
        self._reconnect_listeners: list[Callable[[], None]] = []
        self._ever_connected = False
        self.dropped = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Connect and start the network thread; raise UserError if the broker is not there."""
        try:
            if self.address.socket_path:
                self._client.connect(self.address.socket_path if PAHO_2 else "localhost",
                                     keepalive=20)
            else:
                self._client.connect(self.address.host, self.address.port, keepalive=20)
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot reach the MQTT broker at {self.address}: {exc}") from exc
        self._client.loop_start()
        if not self.connected.wait(timeout):
            self.stop()
            raise UserError(f"the MQTT broker at {self.address} did not accept us in {timeout} s")

    def stop(self) -> None:
        self.connected.clear()
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def on_reconnect(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` (network thread) after every reconnect; returns the undo function."""
        self._reconnect_listeners.append(listener)
        return lambda: self._reconnect_listeners.remove(listener)

    # -- publishing --------------------------------------------------------------------------
    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> bool:
        """Publish if connected; return False (and count a drop) when the broker is away."""
        if not self.connected.is_set():
            self.dropped += 1
            return False
        if not publishable(topic):
            log.error("not published: the broker would refuse the topic %r", topic[:200])
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == paho.MQTT_ERR_SUCCESS

    # -- subscriptions -----------------------------------------------------------------------
    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> Callable[[], None]:
        """Route messages matching ``topic_filter`` to ``handler``; returns the undo function."""
        with self._lock:
            self._handlers.setdefault(topic_filter, []).append(handler)
            self._routes.clear()
        if self.connected.is_set():
            # Subscribing again even if another module of this process already did: the broker
            # then delivers the retained messages anew, which a newcomer (e.g. a restarted
            # module waiting for the retained "ready") needs. Handlers of retained state are
            # idempotent, so the other subscribers do not mind seeing it twice.
            self._client.subscribe(topic_filter, qos)

        def unsubscribe() -> None:
            with self._lock:
                remaining = self._handlers.get(topic_filter, [])
                if handler in remaining:
                    remaining.remove(handler)
                empty = not remaining
                if empty:
                    self._handlers.pop(topic_filter, None)
                self._routes.clear()
            if empty and self.connected.is_set():
                self._client.unsubscribe(topic_filter)

        return unsubscribe

    # -- paho callbacks (network thread) ------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties=None) -> None:
        if getattr(reason_code, "value", reason_code) != 0:
            log.error("broker %s refused the connection: %s", self.address, reason_code)
            return
        if not self._ever_connected:
            threading.current_thread().name = "mqtt"
            name_native_thread()
        with self._lock:
            filters = list(self._handlers)
        for topic_filter in filters:
            client.subscribe(topic_filter, 1)
        reconnect = self._ever_connected
        self._ever_connected = True
        self.connected.set()
        if reconnect:
            log.warning("reconnected to the MQTT broker at %s", self.address)
            for listener in list(self._reconnect_listeners):
                listener()

    def _on_disconnect(self, client, userdata, *args) -> None:
        if self.connected.is_set():
            log.warning("lost the MQTT broker at %s; reconnecting", self.address)
        self.connected.clear()

    def _on_message(self, client, userdata, message) -> None:
        topic = message.topic
        if len(message.payload) > self.max_payload:
            log.error("rejected a %d-byte message on %s: larger than %d bytes",
                      len(message.payload), topic, self.max_payload)
            return
        with self._lock:
            matching = self._routes.get(topic)
            if matching is None:
                # Matching every filter costs more than the rest of the dispatch; a stack
                # hears a few dozen distinct topics, so each is matched once.
                matching = [h for f, hs in self._handlers.items()
                            if f == topic or paho.topic_matches_sub(f, topic) for h in hs]
                if len(self._routes) >= MAX_ROUTES:
                    self._routes.clear()
                self._routes[topic] = matching
        for handler in matching:
            try:
                handler(topic, message.payload)
            except Exception:
                log.exception("handler for %s failed", topic)
