"""The transaction of a session: started once authorized, stopped at the end, at the meter too.

A transaction starts when the car is plugged in and authorized, and is recorded on the billing
meter (signed metering). If the meter fails to start it and ``fail_on_powermeter_errors`` is
set, the error ``PowermeterTransactionStartFailed`` stops the session: nobody can be billed.
The end is reported as ChargingFinished and TransactionFinished with the reason: the one given
to stop_transaction, else EVDisconnected.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from pycharge.modules.EvseManager.billing import MeterCall, answered, transaction_request
from pycharge.modules.EvseManager.error_handling import POWERMETER_START_FAILED, ErrorHandling
from pycharge.modules.EvseManager.session import Session


class Meter(Protocol):
    """The billing meter's transaction commands, answered later (see billing.MeterCall)."""

    def start_transaction(self, request: dict[str, Any]) -> MeterCall: ...
    def stop_transaction(self, transaction_id: str) -> MeterCall: ...


class Transactions:
    """Whether a transaction runs, and how it ends."""

    def __init__(self, session: Session, meter: Meter | None, evse_id: str,
                 fail_on_powermeter_errors: bool, errors: ErrorHandling,
                 log: logging.Logger) -> None:
        self.session = session
        self.meter = meter
        self.evse_id = evse_id
        self.fail_on_powermeter_errors = fail_on_powermeter_errors
        self.errors = errors
        self.log = log
        self.active = False
        self.stop_reason: str | None = None
        self.stop_id_tag: dict[str, Any] | None = None
        self._starting: MeterCall | None = None

    def reset(self) -> None:
        """No transaction any more (Idle); forget a start the meter has not answered yet."""
        self.active = False
        self._starting = None

    def start(self, id_tag: dict[str, Any], validation_result: dict[str, Any]) -> bool:
        """Start (or keep waiting for the meter to start) the transaction; True once it runs."""
        if self.active:
            return True
        if self._starting is None:
            self.stop_reason, self.stop_id_tag = None, None
            request = transaction_request(self.evse_id, self.session.uuid, id_tag,
                                          validation_result)
            self._starting = (self.meter.start_transaction(request) if self.meter is not None
                              else answered())
        if not self._starting.done:
            return False
        call, self._starting = self._starting, None
        if call.failed:
            self.log.error("the meter did not start the transaction: %s",
                           call.error or (call.result or {}).get("error", ""))
            if self.fail_on_powermeter_errors:
                self.errors.raise_own(POWERMETER_START_FAILED,
                                      "Failed to start transaction on the power meter", "Medium")
                return False
        self.active = True
        self.session.transaction_started(id_tag)
        return True

    def stop(self, reason: str | None) -> MeterCall:
        """End the transaction; ``reason`` applies unless stop_transaction gave one."""
        self.active = False
        if self.stop_reason is None:
            self.stop_reason = reason or "EVDisconnected"
        if self.meter is None:
            return answered()
        return self.meter.stop_transaction(self.session.uuid)

    def finished(self, call: MeterCall) -> None:
        """The meter answered the stop: report ChargingFinished and TransactionFinished."""
        if call.failed:
            self.log.error("the meter did not stop the transaction: %s",
                           call.error or (call.result or {}).get("error", ""))
        self.session.transaction_finished(self.stop_reason or "EVDisconnected", self.stop_id_tag,
                                          call.signed_values())
