"""Watching the heartbeat of the modules that use our evse_board_support (normally EvseManager).

Every module publishes a heartbeat once a second. If one of our users falls silent for longer
than ``heartbeat_timeout_ms``, it may have hung or lost the bus while it believes the relays
are under its control: the driver opens them on its own and refuses to close until it is back.
A heartbeat number that does not grow means the module was restarted (numbers count from 1 in
each instance): its new instance never gave the permission, so the relays open then as well.
"""

from __future__ import annotations


class HeartbeatWatch:
    """Last heartbeat time per watched module; time values come from the board's clock."""

    def __init__(self, module_ids: list[str], timeout_s: float, now: float) -> None:
        self.timeout_s = timeout_s
        self._last = dict.fromkeys(module_ids, now)
        self._numbers: dict[str, int] = {}

    def beat(self, module_id: str, number: int, now: float) -> bool:
        """Called on the module thread; the sampling loop only reads (a float assignment).
        True if the beat comes from a new instance of a module heard before."""
        self._last[module_id] = now
        last, self._numbers[module_id] = self._numbers.get(module_id), number
        return last is not None and number <= last

    def silent(self, now: float) -> list[str]:
        """Watched modules whose last heartbeat is older than the timeout."""
        return [m for m, last in list(self._last.items()) if now - last > self.timeout_s]
