"""An MQTT client for tests: publish, and wait for messages without sleeping."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho

from pycharge.runtime.mqtt import PAHO_2, BrokerAddress


class Probe:
    """Records every message on the topics it subscribed to; waits on a condition."""

    def __init__(self, address: BrokerAddress) -> None:
        if PAHO_2:
            self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        else:
            self.client = paho.Client()
        self.messages: list[tuple[str, bytes]] = []
        self._changed = threading.Condition()
        self.client.on_message = self._on_message
        self.client.connect(address.host, address.port)
        self.client.loop_start()

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        with self._changed:
            self.messages.append((message.topic, message.payload))
            self._changed.notify_all()

    def subscribe(self, topic_filter: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe(topic_filter, 1)
        done.wait(5)

    def publish(self, topic: str, payload: Any, retain: bool = False) -> None:
        if not isinstance(payload, (bytes, str)):
            payload = json.dumps(payload)
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def wait_for(self, predicate: Callable[[list[tuple[str, bytes]]], Any],
                 timeout: float = 10.0) -> Any:
        """Wait until ``predicate(messages)`` is truthy; return its value or fail the test."""
        with self._changed:
            result = self._changed.wait_for(lambda: predicate(self.messages), timeout)
        if not result:
            raise AssertionError(f"condition not met within {timeout} s; "
                                 f"last messages: {self.messages[-5:]}")
        return result

    def payloads(self, topic: str) -> list[Any]:
        """JSON-decoded payloads seen on ``topic`` so far."""
        with self._changed:
            return [json.loads(p) for t, p in self.messages if t == topic and p]

    def raw(self, topic: str) -> list[bytes]:
        """Payloads seen on ``topic`` so far, as they came."""
        with self._changed:
            return [p for t, p in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
