"""Waiting for MQTT messages from the stack, over pycharge's own connection class.

A subscription and a later publish on the same connection reach the broker in that order, so
an answer to something we publish after :meth:`Watch.follow` cannot slip past us.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from pycharge.runtime.mqtt import MqttConnection

T = TypeVar("T")


class Watch:
    """Keeps the messages of the followed topics; :meth:`wait_for` looks through them."""

    def __init__(self, connection: MqttConnection) -> None:
        self.connection = connection
        self.messages: list[tuple[str, bytes]] = []
        self._changed = threading.Condition()
        self._undo: list[Callable[[], None]] = []

    def follow(self, topic_filter: str) -> None:
        self._undo.append(self.connection.subscribe(topic_filter, self._on_message))

    def _on_message(self, topic: str, payload: bytes) -> None:
        with self._changed:
            self.messages.append((topic, payload))
            self._changed.notify_all()

    def wait_for(self, find: Callable[[list[tuple[str, bytes]]], T | None], timeout: float,
                 what: str) -> T:
        """The first truthy ``find(messages)``; TimeoutError naming ``what`` if none in time."""
        with self._changed:
            found = self._changed.wait_for(lambda: find(self.messages), timeout)
        if not found:
            raise TimeoutError(f"{what}: not seen within {timeout:.0f} s")
        return found

    def close(self) -> None:
        for undo in self._undo:
            undo()
        self._undo.clear()
