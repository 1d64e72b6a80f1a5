"""The bus side of the hardware EvseManager drives: the board, the connector lock, the meter.

Board commands only steer hardware; they are sent without waiting, so the module thread never
blocks on the board (the board acts on its own in an emergency anyway). A command that fails is
logged. Meter transactions are answered later through ``billing.MeterCall``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pycharge.modules.EvseManager.billing import MeterCall
from pycharge.runtime.module import CommandError, Connection


def _log_failure(log: logging.Logger, what: str) -> Callable[[Future], None]:
    def check(future: Future) -> None:
        error = future.exception()
        if error is not None:
            log.error("%s failed: %s", what, error)
    return check


class BusBoard:
    """``iec61851.Board`` over the bus: evse_board_support and the optional connector_lock."""

    def __init__(self, bsp: Connection, connector_lock: Connection | None,
                 log: logging.Logger) -> None:
        self._bsp = bsp
        self._lock = connector_lock
        self._log = log
        self._overcurrent_limit: float | None = None

    def _send(self, connection: Connection, cmd: str, **args: Any) -> None:
        future = connection.call_async(cmd, **args)
        future.add_done_callback(_log_failure(self._log, f"{connection.module_id}.{cmd}"))

    def enable(self, value: bool) -> None:
        self._send(self._bsp, "enable", value=value)

    def pwm_on(self, percent: float) -> None:
        self._send(self._bsp, "pwm_on", value=round(percent, 4))

    def cp_state_x1(self) -> None:
        self._send(self._bsp, "cp_state_X1")

    def cp_state_f(self) -> None:
        self._send(self._bsp, "cp_state_F")

    def allow_power_on(self, value: bool, reason: str) -> None:
        self._send(self._bsp, "allow_power_on", value={"allow_power_on": value, "reason": reason})

    def switch_three_phases(self, value: bool, done: Callable[[str | None], None]) -> None:
        """``ac_switch_three_phases_while_charging``; ``done`` gets None or why it failed."""
        cmd = "ac_switch_three_phases_while_charging"

        def answered(future: Future) -> None:
            error = future.exception()
            if error is not None:
                self._log.error("%s.%s failed: %s", self._bsp.module_id, cmd, error)
            done(None if error is None else str(error))
        self._bsp.call_async(cmd, value=value).add_done_callback(answered)

    def set_overcurrent_limit(self, ampere: float) -> None:
        """Tell the board's fast over-current trip the limit, only when it changed."""
        if ampere != self._overcurrent_limit:
            self._overcurrent_limit = ampere
            self._send(self._bsp, "ac_set_overcurrent_limit_A", value=ampere)

    def lock(self) -> None:
        if self._lock is not None:
            self._send(self._lock, "lock")

    def unlock(self) -> None:
        if self._lock is not None:
            self._send(self._lock, "unlock")


class BusMeter:
    """``transactions.Meter`` over the bus; ``on_answer`` runs once a call was answered."""

    def __init__(self, meter: Connection, on_answer: Callable[[], None],
                 log: logging.Logger) -> None:
        self._meter = meter
        self._on_answer = on_answer
        self._log = log

    def _call(self, cmd: str, **args: Any) -> MeterCall:
        call = MeterCall()

        def answered(future: Future) -> None:
            try:
                call.finish(future.result())
            except CommandError as error:
                call.finish(None, str(error))
            self._on_answer()

        self._meter.call_async(cmd, **args).add_done_callback(answered)
        return call

    def start_transaction(self, request: dict[str, Any]) -> MeterCall:
        return self._call("start_transaction", value=request)

    def stop_transaction(self, transaction_id: str) -> MeterCall:
        return self._call("stop_transaction", transaction_id=transaction_id)
