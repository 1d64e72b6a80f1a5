"""Stands in for EvseManager in the board tests: records the driver's variables and errors.

Tests call the driver's commands through ``call`` (from the test thread) and can make this
module fall silent (its thread busy, so no heartbeat) with ``hang``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pycharge.runtime.errors import Error
from pycharge.runtime.module import Module


class BspUser(Module):
    def init(self) -> None:
        self.changed = threading.Condition()
        self.events: list[str] = []
        self.capabilities: list[dict[str, Any]] = []
        self.ampacity: list[str] = []
        self.active: dict[tuple[str, str], Error] = {}
        self.raised: list[Error] = []
        bsp = self.connection("bsp")
        bsp.subscribe("event", lambda value: self._note(self.events, value["event"]))
        bsp.subscribe("capabilities", lambda value: self._note(self.capabilities, value))
        bsp.subscribe("ac_pp_ampacity", lambda value: self._note(self.ampacity, value["ampacity"]))
        bsp.subscribe_errors(self._raised, self._cleared)
        lock = self.connection("connector_lock")
        if lock is not None:
            lock.subscribe_errors(self._raised, self._cleared)

    def _note(self, into: list, value: Any) -> None:
        with self.changed:
            into.append(value)
            self.changed.notify_all()

    def _raised(self, error: Error) -> None:
        with self.changed:
            self.raised.append(error)
            self.active[error.key] = error
            self.changed.notify_all()

    def _cleared(self, error: Error) -> None:
        with self.changed:
            self.active.pop(error.key, None)
            self.changed.notify_all()

    def call(self, cmd: str, requirement: str = "bsp", **args: Any) -> Any:
        return self.connection(requirement).call(cmd, timeout=5.0, **args)

    def wait(self, predicate, timeout: float = 10.0) -> None:
        with self.changed:
            if not self.changed.wait_for(predicate, timeout):
                raise AssertionError(f"not reached in {timeout} s; events {self.events[-8:]}, "
                                     f"errors {sorted(self.active)}")

    def hang(self, seconds: float) -> None:
        """Keep this module's thread busy: no heartbeat is published meanwhile."""
        self.submit(time.sleep, seconds)
