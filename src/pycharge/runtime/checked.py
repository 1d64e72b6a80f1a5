"""Variable payloads this process already checked against their interface, by topic.

A module's publication is checked before it goes out; in one process its subscribers would
check the very same bytes again on arrival. Validity depends only on the topic (its schema)
and the bytes, so an arrival whose bytes match a recent checked publication on that topic is
valid without a second check, whoever sent it. Everything else is checked on arrival as before.
Checking is a third of an idle stack's work on the board's single core.
"""

from __future__ import annotations

import threading

REMEMBERED = 256  # arrivals follow their publication within milliseconds


class CheckedPayloads:
    def __init__(self) -> None:
        self._recent: dict[tuple[str, bytes], None] = {}
        self._lock = threading.Lock()

    def add(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self._recent[(topic, payload)] = None
            if len(self._recent) > REMEMBERED:
                del self._recent[next(iter(self._recent))]

    def __contains__(self, entry: tuple[str, bytes]) -> bool:
        with self._lock:
            return entry in self._recent
