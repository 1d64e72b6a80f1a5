"""What Auth knows about one EVSE: plugged in, transaction, enabled, faulted, authorized.

Fed by the EVSE's session events and its ``evse_manager/Inoperative`` error. One connector per
EVSE, as EvseManager has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pycharge.runtime.timers import Timer


@dataclass
class Identifier:
    """The token an EVSE is authorized for."""

    id_token: dict[str, Any]
    authorization_type: str
    status: str
    parent_id_token: dict[str, Any] | None = None


def same_token(a: dict[str, Any] | None, value: str) -> bool:
    """Token values compare without regard to case (OCPP)."""
    return a is not None and a["value"].lower() == value.lower()


@dataclass
class EvseContext:
    index: int  # position in the evse_manager connections
    evse_id: int
    plugged_in: bool = False
    transaction_active: bool = False
    occupied: bool = False  # from TransactionStarted until SessionFinished
    enabled: bool = True
    faulted: bool = False
    plug_in_timeout: bool = False
    identifier: Identifier | None = None
    timer: Timer | None = field(default=None, repr=False)

    def available(self) -> bool:
        """Free to be authorized for a new token."""
        return (not self.plug_in_timeout and self.identifier is None and not self.occupied
                and self.enabled and not self.faulted)

    def used_by(self, value: str) -> bool:
        """Whether the token (or its parent) authorized this EVSE."""
        return self.identifier is not None and (
            same_token(self.identifier.id_token, value)
            or same_token(self.identifier.parent_id_token, value))

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def on_event(self, event: dict[str, Any]) -> None:
        """Follow one session event (the parts Auth cares about)."""
        name = event["event"]
        if name == "TransactionStarted":
            self.plugged_in = self.transaction_active = self.occupied = True
            self.cancel_timer()
        elif name == "TransactionFinished":
            self.transaction_active = False
            self.identifier = None
        elif name == "SessionFinished":
            self.plugged_in = self.occupied = self.plug_in_timeout = False
            self.identifier = None
            self.cancel_timer()
        elif name == "Deauthorized":
            self.identifier = None
            self.cancel_timer()
        elif name in ("Enabled", "Disabled"):
            self.enabled = name == "Enabled"
