"""Who may enable or disable the EVSE: one entry per source, the highest priority decides.

Each source (LocalAPI, CSMS, FirmwareUpdate, ...) keeps its last wish and priority (0 is the
highest). The highest-priority entry that is not ``Unassigned`` decides; at equal priority
``Disable`` wins over ``Enable``; if every entry is ``Unassigned`` the EVSE is enabled.
"""

from __future__ import annotations

from typing import Any

UNASSIGNED_LOWEST = {"enable_source": "Unspecified", "enable_state": "Unassigned",
                     "enable_priority": 10000}


class EnableDisableTable:
    """The sources' wishes in the order they first spoke (EVerest walks them in that order)."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Any]] = {}
        self.active: dict[str, Any] = dict(UNASSIGNED_LOWEST)
        self.connector_enabled = True

    def initial(self, enabled: bool) -> dict[str, Any]:
        """At start: our own lowest-priority entry saying what we are; returns it."""
        source = {"enable_source": "Unspecified", "enable_state": "Enable" if enabled else "Disable",
                  "enable_priority": 10000}
        self.update(source)
        return source

    def command(self, connector_id: int, source: dict[str, Any]) -> tuple[bool, bool]:
        """An enable_disable command: (enabled now, whether that changed from or to Disable).

        Only a command for a connector (id != 0) changes ``connector_enabled``; a Disable for
        the whole EVSE (id 0) still disables it.
        """
        last = self.active["enable_state"]
        enabled = self.update(source)
        if connector_id != 0:
            self.connector_enabled = enabled
        now = self.active["enable_state"]
        return enabled, "Disable" in (last, now) and last != now

    def update(self, source: dict[str, Any]) -> bool:
        """Record ``source``'s wish; return whether the EVSE is enabled now."""
        self._entries[source["enable_source"]] = dict(source)
        return self.decide()

    def decide(self) -> bool:
        """Recompute the winning entry (``active``) and the resulting state."""
        winner: dict[str, Any] = dict(UNASSIGNED_LOWEST)
        for entry in self._entries.values():
            if entry["enable_state"] == "Unassigned":
                continue
            if winner["enable_state"] == "Unassigned" \
                    or entry["enable_priority"] < winner["enable_priority"] \
                    or (entry["enable_priority"] == winner["enable_priority"]
                        and entry["enable_state"] == "Disable"):
                winner = dict(entry)
        self.active = winner
        return winner["enable_state"] != "Disable"
