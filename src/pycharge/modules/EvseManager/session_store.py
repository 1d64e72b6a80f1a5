"""The open transaction in the persistent store (requirement ``store``, interface ``kvs``).

EVerest's behaviour: while a transaction runs its session id is kept under
``<module id>_session``, and cleared (``""``) when it ends; at start an id found there is
reported with ``SessionResumed``, and the transaction is closed with ``TransactionFinished``
(reason ``PowerLoss``). pycharge keeps one JSON object there instead of the bare id: the id,
the token, the billing meter's readings at the start and the latest one. It is written on
every session event of the transaction and every ``RECORD_PERIOD_S`` seconds, so the closing
event carries the energy charged until the stack stopped. One key, so every write replaces
the whole record at once. A plain string (EVerest's record) is read as an id without readings.

Charging never waits for the store longer than its start-up check: a write that fails (broker
away, store restarting) is sent again with the next period until the store has taken it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pycharge.modules.EvseManager.billing import MeterCall
from pycharge.runtime.clock import rfc3339
from pycharge.runtime.module import CommandError, Connection

RECORD_PERIOD_S = 10.0
KEY_SUFFIX = "_session"
NO_SESSION = ""


class SessionStore:
    """Keeps the record of the open transaction in the store and closes it after a restart."""

    def __init__(self, kvs: Connection | None, module_id: str,
                 meter_value: Callable[[], dict[str, Any]],
                 publish: Callable[[dict[str, Any]], None], meter: Connection | None,
                 log: logging.Logger) -> None:
        self._kvs = kvs
        self.key = module_id + KEY_SUFFIX
        self._meter_value = meter_value
        self._publish = publish
        self._meter = meter
        self._log = log
        self.recovered = kvs is None
        self._open: dict[str, Any] | None = None
        self._sequence = 0
        self._unsaved = False

    # -- start-up -------------------------------------------------------------------------------
    def recover(self, done: Callable[[], None]) -> None:
        """Close the transaction a restart interrupted, then call ``done`` (module thread)."""
        if self._kvs is None:
            done()
            return
        self._kvs.call_async("load", key=self.key).add_done_callback(
            lambda future: self._loaded(future, done))

    def _loaded(self, future: Future, done: Callable[[], None]) -> None:
        try:
            record = future.result()
        except CommandError as exc:
            self._log.error("cannot read the open session from the persistent store: %s", exc)
            self._recovered(done)
            return
        if isinstance(record, str):
            record = {"uuid": record}
        uuid = record.get("uuid") if isinstance(record, dict) else None
        if not isinstance(uuid, str) or not uuid:
            self._recovered(done)
            return
        self._log.warning("session %s was open when the stack stopped: closing its transaction "
                          "(PowerLoss)", uuid)
        self._publish({"uuid": uuid, "timestamp": rfc3339(), "event": "SessionResumed"})
        last = record.get("meter_value")
        if self._meter is None:
            self._close(uuid, last, MeterCall(done=True), done)
            return
        self._meter.call_async("stop_transaction", transaction_id=uuid).add_done_callback(
            lambda answer: self._close(uuid, last, _meter_call(answer), done))

    def _close(self, uuid: str, last: Any, call: MeterCall, done: Callable[[], None]) -> None:
        meter_value = last if isinstance(last, dict) and "energy_Wh_import" in last \
            else self._meter_value()
        finished = {"meter_value": meter_value, "reason": "PowerLoss", **call.signed_values()}
        self._publish({"uuid": uuid, "timestamp": rfc3339(), "event": "TransactionFinished",
                       "transaction_finished": finished})
        self._write(NO_SESSION)
        self._recovered(done)

    def _recovered(self, done: Callable[[], None]) -> None:
        self.recovered = True
        done()

    # -- while running --------------------------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        """Every session event we published: keep the record of an open transaction current."""
        name = event.get("event")
        if name == "TransactionStarted":
            started = event.get("transaction_started") or {}
            self._open = {"uuid": event["uuid"], "id_tag": started.get("id_tag"),
                          "transaction_started_meter_value": started.get("meter_value")}
        if self._open is None:
            return
        if name == "TransactionFinished":
            self._open = None
            self._write(NO_SESSION)
        else:
            self.save()

    def save(self) -> None:
        """Periodically and on events: the latest reading of the open transaction, or a write
        the store has not confirmed yet."""
        if self._kvs is None:
            return
        if self._open is not None:
            self._write({**self._open, "meter_value": self._meter_value(), "updated": rfc3339()})
        elif self._unsaved:
            self._write(NO_SESSION)

    def _write(self, value: Any) -> None:
        if self._kvs is None:
            return
        self._sequence += 1
        sequence = self._sequence
        self._kvs.call_async("store", key=self.key, value=value).add_done_callback(
            lambda future: self._written(future, sequence))

    def _written(self, future: Future, sequence: int) -> None:
        error = future.exception()
        if sequence != self._sequence:
            return  # a newer write was sent after this one; its outcome counts
        self._unsaved = error is not None
        if error is not None:
            self._log.warning("the persistent store did not take the session record (%s); "
                              "sending it again in %.0f s", error, RECORD_PERIOD_S)


def _meter_call(future: Future) -> MeterCall:
    call = MeterCall()
    try:
        call.finish(future.result())
    except CommandError as exc:
        call.finish(None, str(exc))
    return call
