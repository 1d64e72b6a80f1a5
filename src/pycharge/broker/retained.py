"""Retained messages: the last retained message per topic, handed to every new subscriber."""

from __future__ import annotations

from collections.abc import Iterator

from pycharge.broker.topics import matches


class RetainedStore:
    """Topic -> (payload, QoS); an empty payload deletes (MQTT 3.1.1 section 3.3.1.3)."""

    def __init__(self) -> None:
        self._messages: dict[str, tuple[bytes, int]] = {}

    def store(self, topic: str, payload: bytes, qos: int) -> None:
        if payload:
            self._messages[topic] = (payload, qos)
        else:
            self._messages.pop(topic, None)

    def matching(self, topic_filter: str) -> Iterator[tuple[str, bytes, int]]:
        """(topic, payload, QoS) of every retained message the valid filter selects."""
        if "+" not in topic_filter and "#" not in topic_filter:
            message = self._messages.get(topic_filter)
            if message is not None:
                yield topic_filter, *message
            return
        for topic, (payload, qos) in list(self._messages.items()):
            if matches(topic_filter, topic):
                yield topic, payload, qos
