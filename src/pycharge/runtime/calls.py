"""Calling commands of other modules: arguments checked, one future per call, bounded waits.

Results arrive on the MQTT network thread and resolve the call's future there; callbacks added
to the future run on the calling module's own thread, like everything else a module is given.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pycharge.runtime.definitions import Definitions, Interface
from pycharge.runtime.module import (
    CMD_TIMEOUT,
    HANDLER_EXCEPTION,
    NOT_CONNECTED,
    SCHEMA_VALIDATION_ERROR,
    CommandError,
)
from pycharge.runtime.mqtt import MqttConnection


def check_call(definitions: Definitions, interface: Interface, cmd: str, args: Any) -> list[str]:
    """Every way a call of ``cmd`` with ``args`` breaks ``interface`` (empty if it is fine)."""
    command = interface.cmds.get(cmd)
    if command is None:
        return [f"interface {interface.name} has no command '{cmd}'"]
    if not isinstance(args, dict):
        return ["'args' must be an object"]
    problems = [f"unknown argument '{name}'" for name in args if name not in command.arguments]
    problems += [f"missing argument '{name}'" for name in command.arguments if name not in args]
    for name, spec in command.arguments.items():
        if name in args:
            problems += definitions.check(args[name], spec, name)
    return problems


def why(exc: BaseException) -> str:
    """A short reason for a payload that could not be read."""
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return str(exc) or type(exc).__name__


class Calls:
    """The calls one module has under way."""

    def __init__(self, origin: str, connection: MqttConnection, definitions: Definitions,
                 post: Callable[..., None], log: logging.Logger) -> None:
        self._origin = origin
        self._connection = connection
        self._definitions = definitions
        self._post = post
        self._log = log
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[Future, float]] = {}

    def call(self, topic: str, interface: Interface, cmd: str, args: dict[str, Any],
             timeout: float) -> Future:
        """Send a call; the future gives the result or a :class:`CommandError`."""
        future = _ModuleFuture(self._post)
        problems = check_call(self._definitions, interface, cmd, args)
        if problems:
            future.set_exception(CommandError(SCHEMA_VALIDATION_ERROR, "; ".join(problems)))
            return future
        call_id = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        with self._lock:
            self._pending[call_id] = (future, deadline)
        body = {"id": call_id, "origin": self._origin, "args": args, "deadline": deadline}
        if not self._connection.publish(topic, json.dumps(body)):
            self._forget(call_id)
            future.set_exception(CommandError(NOT_CONNECTED, "the MQTT broker is not reachable"))
        return _Waitable(future, lambda: self._forget(call_id), timeout)

    def on_response(self, topic: str, payload: bytes) -> None:
        """A result arrived (network thread): resolve its call, or drop it if nobody waits."""
        try:
            message = json.loads(payload)
            call_id = message["id"]
        except (ValueError, KeyError, TypeError) as exc:
            self._log.error("rejected a command result on %s: %s", topic, why(exc))
            return
        entry = self._forget(call_id) if isinstance(call_id, str) else None
        if entry is None:
            return  # a late or duplicate answer: the caller already has its outcome
        future = entry[0]
        error = message.get("error")
        if isinstance(error, dict):
            future.set_exception(CommandError(str(error.get("type", HANDLER_EXCEPTION)),
                                              str(error.get("message", ""))))
        else:
            future.set_result(message.get("retval"))

    def expire(self) -> None:
        """Fail the calls whose deadline passed (calls nobody waits on synchronously)."""
        now = time.monotonic()
        with self._lock:
            expired = [k for k, (_, deadline) in self._pending.items() if deadline < now]
            futures = [self._pending.pop(k)[0] for k in expired]
        for future in futures:
            if not future.done():
                future.set_exception(CommandError(CMD_TIMEOUT, "no answer in time"))

    def until_next_deadline(self) -> float | None:
        """Seconds until the earliest pending call times out; None when nothing is pending."""
        with self._lock:
            deadlines = [deadline for _, deadline in self._pending.values()]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def fail_all(self, kind: str, message: str) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(CommandError(kind, message))

    def _forget(self, call_id: str) -> tuple[Future, float] | None:
        with self._lock:
            return self._pending.pop(call_id, None)


class _ModuleFuture(Future):
    """A future whose done-callbacks run on the module's thread, like everything else."""

    def __init__(self, post: Callable[..., None]) -> None:
        super().__init__()
        self._post = post

    def add_done_callback(self, fn: Callable[[Future], object]) -> None:
        super().add_done_callback(lambda future: self._post(fn, future))


class _Waitable(Future):
    """The future handed to callers: ``result()`` gives up at the call's own timeout."""

    def __init__(self, inner: Future, forget: Callable[[], object], timeout: float) -> None:
        super().__init__()
        self._inner = inner
        self._forget = forget
        self._timeout = timeout

    def result(self, timeout: float | None = None) -> Any:
        try:
            return self._inner.result(self._timeout if timeout is None else timeout)
        except FutureTimeout:
            self._forget()
            raise CommandError(CMD_TIMEOUT, f"no answer within {self._timeout} s") from None

    def exception(self, timeout: float | None = None) -> BaseException | None:
        try:
            self.result(timeout)
        except Exception as exc:
            return exc
        return None

    def done(self) -> bool:
        return self._inner.done()

    def add_done_callback(self, fn: Callable[[Future], object]) -> None:
        self._inner.add_done_callback(lambda _inner: fn(self))

    def cancel(self) -> bool:
        return False
