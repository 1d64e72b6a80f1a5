"""Topic names, topic filters and who subscribed to what (MQTT 3.1.1 section 4.7).

Subscriptions live in a tree keyed by topic level, so routing a message costs the depth of its
topic, not the number of subscriptions. Filters starting with a wildcard do not match topics
starting with ``$`` (section 4.7.2).
"""

from __future__ import annotations

from collections.abc import Hashable


def valid_topic_name(topic: str) -> bool:
    """A topic one may publish to: not empty, no wildcards."""
    return bool(topic) and "+" not in topic and "#" not in topic


def valid_topic_filter(topic_filter: str) -> bool:
    """``+`` fills a whole level; ``#`` fills the last level only."""
    if not topic_filter:
        return False
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if ("+" in level or "#" in level) and len(level) > 1:
            return False
        if level == "#" and index != len(levels) - 1:
            return False
    return True


def matches(topic_filter: str, topic: str) -> bool:
    """Whether a valid ``topic_filter`` selects the valid topic name ``topic``."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels):
            return False
        if level not in ("+", topic_levels[index]):
            return False
    return len(filter_levels) == len(topic_levels)


class _Node:
    __slots__ = ("children", "subscribers")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.subscribers: dict[Hashable, int] = {}


class SubscriptionTree:
    """Topic filter -> subscriber -> granted QoS, searchable by topic name."""

    def __init__(self) -> None:
        self._root = _Node()

    def add(self, topic_filter: str, subscriber: Hashable, qos: int) -> None:
        """Subscribe, or replace the QoS of an existing subscription."""
        node = self._root
        for level in topic_filter.split("/"):
            node = node.children.setdefault(level, _Node())
        node.subscribers[subscriber] = qos

    def remove(self, topic_filter: str, subscriber: Hashable) -> None:
        """Unsubscribe (nothing happens if there was no such subscription)."""
        levels = topic_filter.split("/")
        path = [self._root]
        for level in levels:
            child = path[-1].children.get(level)
            if child is None:
                return
            path.append(child)
        path[-1].subscribers.pop(subscriber, None)
        for depth in range(len(levels), 0, -1):
            if path[depth].subscribers or path[depth].children:
                break
            del path[depth - 1].children[levels[depth - 1]]

    def match(self, topic: str) -> dict[Hashable, int]:
        """Every subscriber of ``topic`` with the highest QoS among its matching filters."""
        found: dict[Hashable, int] = {}
        levels = topic.split("/")
        dollar = topic.startswith("$")
        stack = [(self._root, 0)]
        while stack:
            node, index = stack.pop()
            wildcards_allowed = index > 0 or not dollar
            multi = node.children.get("#") if wildcards_allowed else None
            if multi is not None:
                _collect(found, multi)
            if index == len(levels):
                _collect(found, node)
                continue
            child = node.children.get(levels[index])
            if child is not None:
                stack.append((child, index + 1))
            single = node.children.get("+") if wildcards_allowed else None
            if single is not None:
                stack.append((single, index + 1))
        return found


def _collect(found: dict[Hashable, int], node: _Node) -> None:
    for subscriber, qos in node.subscribers.items():
        if found.get(subscriber, -1) < qos:
            found[subscriber] = qos
