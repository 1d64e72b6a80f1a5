"""Authorization of a session and the commands that change it from outside.

A session needs an accepted token before its transaction starts. The token comes from Auth
(``authorize_response``), or, with ``disable_authentication``, is the free-service token
FREESERVICE given at plug-in. ``stop_transaction`` cancels: the authorization is gone and a
late authorization is ignored until the car was unplugged. ``pause_charging`` sets a flag that
the state machine turns into ChargingPausedEVSE (reason UserPause).
"""

from __future__ import annotations

import logging
from typing import Any

from pycharge.modules.EvseManager.error_handling import AUTHORIZATION_TIMEOUT, ErrorHandling
from pycharge.modules.EvseManager.session import Session
from pycharge.modules.EvseManager.transactions import Transactions

FREE_SERVICE_TOKEN = {"id_token": {"value": "FREESERVICE", "type": "Local"},
                      "authorization_type": "RFID", "prevalidated": True}
ACCEPTED = {"authorization_status": "Accepted", "tariff_messages": []}


class Authorization:
    """The flags EVerest's Charger keeps about authorization, cancelling and pausing."""

    def __init__(self, session: Session, transactions: Transactions, errors: ErrorHandling,
                 raise_mrec9: bool, log: logging.Logger) -> None:
        self.session = session
        self.transactions = transactions
        self.errors = errors
        self.raise_mrec9 = raise_mrec9
        self.log = log
        self.authorized = False
        self.externally_cancelled = False
        self.paused_by_evse = False
        self.id_token: dict[str, Any] | None = None
        self.validation_result: dict[str, Any] = ACCEPTED

    def authorize(self, token: dict[str, Any], validation_result: dict[str, Any]) -> None:
        """An accepted token; before plug-in it starts the session (reason Authorized)."""
        if self.externally_cancelled:
            self.log.warning("authorization after the session was stopped externally: ignored")
            return
        self.id_token, self.validation_result = token, validation_result
        if not self.session.active:
            self.session.start("Authorized", token)
        self.session.emit("Authorized")
        self.authorized = True

    def deauthorize(self, in_use: bool) -> bool:
        """withdraw_authorization; only takes effect while the authorization is not in use.

        Not yet authorized means the plug-in timed out: PluginTimeout (and MREC9 if configured).
        """
        if not self.session.active:
            return False
        self.session.emit("Deauthorized")
        if in_use:
            return False
        if not self.authorized:
            self.session.emit("PluginTimeout")
            if self.raise_mrec9:
                self.errors.raise_own(AUTHORIZATION_TIMEOUT,
                                      "No authorization was provided within timeout.", "Medium")
            return False
        self.stop_session()
        return True

    def cancel(self, request: dict[str, Any]) -> bool:
        """stop_transaction: end the transaction; charging needs a new plug-in afterwards."""
        if not self.transactions.active:
            return False
        self.externally_cancelled = True
        self.authorized = False
        self.transactions.stop_reason = request["reason"]
        self.transactions.stop_id_tag = request.get("id_tag")
        return True

    def pause(self, paused: bool) -> bool:
        """pause_charging / resume_charging: only with an active transaction."""
        if not self.transactions.active:
            return False
        self.paused_by_evse = paused
        return True

    def stop_session(self) -> None:
        self.authorized = False
        self.externally_cancelled = False
        self.paused_by_evse = False
        self.session.finish()
