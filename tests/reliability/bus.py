"""Talking to a running stack over MQTT as another module would, across broker restarts."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pycharge.runtime.topics import Topics
from tests.support.probe import Probe

ORIGIN = "reliability_probe"


class ReconnectingProbe(Probe):
    """A :class:`Probe` that comes back with its subscriptions after the broker restarted.

    The plain probe uses a clean session and paho's default back-off (up to 2 minutes), so
    after a broker restart it would see nothing more; the stack under test reconnects every
    1-2 s, and so does this probe.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.filters: list[str] = []
        super().__init__(*args, **kwargs)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._resubscribe

    def subscribe(self, topic_filter: str) -> None:
        self.filters.append(topic_filter)
        super().subscribe(topic_filter)

    def _resubscribe(self, client: Any, *_args: Any) -> None:
        for topic_filter in self.filters:
            client.subscribe(topic_filter, 1)


def call(probe: Probe, topics: Topics, module_id: str, impl_id: str, cmd: str,
         args: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one command message and return the answer message (``retval`` or ``error``)."""
    reply = topics.response(module_id, impl_id, cmd, ORIGIN)
    if reply not in getattr(probe, "filters", ()):
        probe.subscribe(reply)
    call_id = uuid.uuid4().hex
    probe.publish(topics.cmd(module_id, impl_id, cmd), {"id": call_id, "origin": ORIGIN,
                                                         "args": args})
    return probe.wait_for(lambda messages: next(
        (answer for t, p in list(messages) if t == reply
         for answer in [json.loads(p)] if answer.get("id") == call_id), None), timeout)
