"""EVerest's error framework: errors raised and cleared by implementations.

On the bus each error type of an implementation has one retained topic whose payload is the list
of its active errors (and, for a clear, the errors just cleared). Subscribers compare that list
with what they knew, so a module that starts late or reconnects learns every active error, and a
lost message cannot leave an error stuck.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pycharge.runtime.clock import rfc3339

SEVERITIES = ("Low", "Medium", "High")
ACTIVE, CLEARED_BY_MODULE, CLEARED_BY_REBOOT = "Active", "ClearedByModule", "ClearedByReboot"


@dataclass(frozen=True)
class Error:
    """One error as EVerest describes it (type is ``namespace/Name``)."""

    type: str
    sub_type: str = ""
    message: str = ""
    description: str = ""
    severity: str = "High"
    origin: dict[str, Any] = field(default_factory=dict)
    timestamp: str = ""
    uuid: str = ""
    state: str = ACTIVE
    vendor_id: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.type, self.sub_type

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Error:
        """Build from a bus payload; raise ValueError with the reason if it is not an error."""
        if not isinstance(data, dict):
            raise ValueError("an error must be an object")
        names = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown error field(s): {', '.join(sorted(unknown))}")
        if not isinstance(data.get("type"), str) or "/" not in data["type"]:
            raise ValueError("error 'type' must be 'namespace/Name'")
        if data.get("severity", "High") not in SEVERITIES:
            raise ValueError(f"error 'severity' must be one of {', '.join(SEVERITIES)}")
        if data.get("state", ACTIVE) not in (ACTIVE, CLEARED_BY_MODULE, CLEARED_BY_REBOOT):
            raise ValueError("error 'state' is not Active, ClearedByModule or ClearedByReboot")
        for name in ("sub_type", "message", "description", "timestamp", "uuid", "vendor_id"):
            if not isinstance(data.get(name, ""), str):
                raise ValueError(f"error '{name}' must be a string")
        if not isinstance(data.get("origin", {}), dict):
            raise ValueError("error 'origin' must be an object")
        return cls(**data)


Publish = Callable[[str, bytes], None]


class ErrorState:
    """The active errors of one implementation, as its provider sees them."""

    def __init__(self, origin: dict[str, Any], allowed: Iterable[str],
                 describe: Callable[[str], str], topic: Callable[[str], str],
                 publish: Publish) -> None:
        self._origin = origin
        self._allowed = frozenset(allowed)
        self._describe = describe
        self._topic = topic
        self._publish = publish
        self._lock = threading.Lock()
        self._active: dict[tuple[str, str], Error] = {}

    def raise_error(self, error_type: str, message: str = "", sub_type: str = "",
                    severity: str = "High", vendor_id: str = "") -> Error | None:
        """Raise an error; None if the same (type, sub_type) is already active."""
        if error_type not in self._allowed:
            raise ValueError(f"this implementation's interface does not declare {error_type}")
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        error = Error(error_type, sub_type, message, self._describe(error_type), severity,
                      dict(self._origin), rfc3339(), str(uuid.uuid4()), ACTIVE, vendor_id)
        with self._lock:
            if error.key in self._active:
                return None
            self._active[error.key] = error
            self._send(error_type, [])
        return error

    def clear(self, error_type: str, sub_type: str | None = None) -> list[Error]:
        """Clear one sub-type, or every sub-type of ``error_type`` when ``sub_type`` is None."""
        with self._lock:
            keys = [k for k in self._active
                    if k[0] == error_type and (sub_type is None or k[1] == sub_type)]
            cleared = [replace(self._active.pop(k), state=CLEARED_BY_MODULE, timestamp=rfc3339())
                       for k in keys]
            if cleared:
                self._send(error_type, cleared)
        return cleared

    def clear_all(self) -> list[Error]:
        cleared: list[Error] = []
        for error_type in {k[0] for k in list(self._active)}:
            cleared += self.clear(error_type)
        return cleared

    def active(self) -> list[Error]:
        with self._lock:
            return list(self._active.values())

    def is_active(self, error_type: str, sub_type: str | None = None) -> bool:
        with self._lock:
            return any(k[0] == error_type and (sub_type is None or k[1] == sub_type)
                       for k in self._active)

    def reset(self) -> None:
        """At start: no error of ours is active, whatever a previous run left retained."""
        with self._lock:
            self._active.clear()
            for error_type in sorted(self._allowed):
                self._send(error_type, [])

    def republish(self) -> None:
        """After a reconnect the broker may have lost the retained state: send it again."""
        with self._lock:
            for error_type in sorted({k[0] for k in self._active}):
                self._send(error_type, [])

    def _send(self, error_type: str, cleared: list[Error]) -> None:
        active = [e.to_json() for e in self._active.values() if e.type == error_type]
        payload = {"active": active, "cleared": [e.to_json() for e in cleared]}
        self._publish(self._topic(error_type), json.dumps(payload).encode())


class ErrorTracker:
    """What one subscriber knows of the errors of the implementations it watches."""

    def __init__(self) -> None:
        self._known: dict[str, dict[tuple[str, str], Error]] = {}

    def update(self, topic: str, payload: Any) -> tuple[list[Error], list[Error]]:
        """Take one error-topic payload; return (newly raised, newly cleared)."""
        if not isinstance(payload, dict) or not isinstance(payload.get("active", []), list):
            raise ValueError("an error message is {'active': [...], 'cleared': [...]}")
        active = {e.key: e for e in map(Error.from_json, payload.get("active", []))}
        given_cleared = {e.key: e for e in map(Error.from_json, payload.get("cleared", []))}
        known = self._known.setdefault(topic, {})
        raised = [e for k, e in active.items() if k not in known]
        cleared = [given_cleared.get(k) or replace(e, state=CLEARED_BY_MODULE, timestamp=rfc3339())
                   for k, e in known.items() if k not in active]
        self._known[topic] = active
        return raised, cleared

    def forget(self, topic_prefix: str) -> list[Error]:
        """Drop what we knew under ``topic_prefix``; return those errors as cleared by reboot."""
        gone: list[Error] = []
        for topic in [t for t in self._known if t.startswith(topic_prefix)]:
            gone += [replace(e, state=CLEARED_BY_REBOOT) for e in self._known.pop(topic).values()]
        return gone

    def active(self) -> list[Error]:
        return [e for errors in self._known.values() for e in errors.values()]
