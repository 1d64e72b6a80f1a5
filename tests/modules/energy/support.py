"""Helpers for the bus-level tests of pycharge's own modules: a hand-driven clock, raw calls."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pycharge.runtime.manager import Manager
from tests.support.probe import Probe


def call(stack: Manager, probe: Probe, module_id: str, impl_id: str, cmd: str,
         **args: Any) -> dict[str, Any]:
    """Call a command the way another module would, and return the answer message."""
    topic = stack.topics.cmd(module_id, impl_id, cmd)
    reply = stack.topics.response(module_id, impl_id, cmd, "probe")
    call_id = uuid.uuid4().hex
    probe.subscribe(reply)
    probe.publish(topic, {"id": call_id, "origin": "probe", "args": args})
    return probe.wait_for(lambda messages: next(
        (answer for t, p in messages if t == reply
         for answer in [json.loads(p)] if answer.get("id") == call_id), None))
