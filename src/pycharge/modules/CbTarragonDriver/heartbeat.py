"""Watching the heartbeat of the modules that use our evse_board_support (normally EvseManager).

Every module publishes a heartbeat once a second. If one of our users falls silent for longer
than ``heartbeat_timeout_ms``, it may have hung or lost the bus while it believes the relays
are under its control: the driver opens them on its own and refuses to close until it is back.
"""

from __future__ import annotations


class HeartbeatWatch:
    """Last heartbeat time per watched module; time values come from the board's clock."""

    def __init__(self, module_ids: list[str], timeout_s: float, now: float) -> None:
        self.timeout_s = timeout_s
        self._last = dict.fromkeys(module_ids, now)

    def beat(self, module_id: str, now: float) -> None:
        """Called on the module thread; the sampling loop only reads (a float assignment)."""
        self._last[module_id] = now

    def silent(self, now: float) -> list[str]:
        """Watched modules whose last heartbeat is older than the timeout."""
        return [m for m, last in list(self._last.items()) if now - last > self.timeout_s]
