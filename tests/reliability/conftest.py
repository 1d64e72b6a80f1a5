"""Fixtures of the reliability tests: bsp-only.yaml with a session store on the simulated board.

The stack comes from the SIL tests' ``sil_stack`` (tests/sil/stack.py), with its probe swapped
for one that survives broker restarts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pycharge.runtime.manager import Manager
from pycharge.runtime.serving import CommandServer
from tests.conftest import Mosquitto
from tests.reliability.bus import ReconnectingProbe
from tests.reliability.configs import with_store
from tests.sil import stack as sil_module
from tests.sil.stack import Sil


class Executions:
    """Every command a module ran, by (module id, call id): a command runs at most once.

    Each run ends in exactly one ``CommandServer._answer`` (result or error); a second copy of
    a message is answered from the cache without it.
    """

    def __init__(self) -> None:
        self.count: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def record(self, module_id: str, call_id: str) -> None:
        with self._lock:
            self.count[(module_id, call_id)] += 1

    def twice(self) -> list[tuple[str, str]]:
        with self._lock:
            return [key for key, n in self.count.items() if n > 1]

    def total(self) -> int:
        with self._lock:
            return sum(self.count.values())


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> Executions:
    seen = Executions()
    original = CommandServer._answer

    def answer(server: CommandServer, topic: str, call_id: str, *args: Any, **kwargs: Any
               ) -> None:
        seen.record(server._module_id, call_id)
        original(server, topic, call_id, *args, **kwargs)

    monkeypatch.setattr(CommandServer, "_answer", answer)
    return seen


@contextmanager
def reliability_stack(directory: Path, broker: Mosquitto, monkeypatch: pytest.MonkeyPatch,
                      config: dict[str, Any] | None = None) -> Iterator[Sil]:
    """The SIL tests' ``sil_stack`` with a probe that survives broker restarts, and with the
    stack's manager at hand as ``sil.manager`` (module status, restarts, hosts)."""
    managers: list[Manager] = []

    class KeptManager(Manager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(sil_module, "Probe", ReconnectingProbe)
    monkeypatch.setattr(sil_module, "Manager", KeptManager)
    with sil_module.sil_stack(directory, broker, config or with_store(directory)) as sil:
        sil.manager = managers[-1]
        yield sil


@pytest.fixture
def stack_factory(tmp_path: Path, private_mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch):
    """``with stack_factory(config=None) as sil``: bsp-only.yaml plus the session store."""

    def make(config: dict[str, Any] | None = None) -> Any:
        return reliability_stack(tmp_path, private_mosquitto, monkeypatch, config)

    return make
