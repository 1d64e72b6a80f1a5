"""Auth stacks: fake EvseManagers, the dummy token provider and validator, and Auth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pycharge.runtime.manager import Manager
from tests.conftest import Mosquitto
from tests.modules.api.conftest import DOUBLES
from tests.support.clocks import ManualClock
from tests.support.probe import Probe
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until

Connections = list[dict[str, str]]


def link(module_id: str, impl: str) -> Connections:
    return [{"module_id": module_id, "implementation_id": impl}]


def auth_config(evses: int = 1, validation_result: str = "Accepted", **auth: Any) -> dict[str, Any]:
    """Like everest-framework.md 1.3: Auth, DummyTokenProvider on the first EVSE, validator."""
    modules: dict[str, Any] = {
        f"evse{n}": {"module": "FakeEvseManager", "config_module": {"evse_id": n}}
        for n in range(1, evses + 1)}
    modules["auth"] = {"module": "Auth",
                       "config_module": {"connection_timeout": 60, "selection_algorithm": "FindFirst",
                                         **auth},
                       "connections": {"token_provider": link("token_provider", "main"),
                                       "token_validator": link("token_validator", "main"),
                                       "evse_manager": [link(f"evse{n}", "evse")[0]
                                                        for n in range(1, evses + 1)]}}
    modules["token_provider"] = {"module": "DummyTokenProvider",
                                 "config_implementation": {"main": {"token": "DEADBEEF"}},
                                 "connections": {"evse": link("evse1", "evse")}}
    modules["token_validator"] = {"module": "DummyTokenValidator", "config_implementation": {
        "main": {"validation_result": validation_result, "sleep": 0}}}
    return {"active_modules": modules}


METER = {"timestamp": "2026-03-01T12:00:00.000Z", "energy_Wh_import": {"total": 0.0}}


class AuthStack:
    """A running Auth stack and a probe on its token statuses."""

    def __init__(self, stack: Manager, probe: Probe) -> None:
        self.stack = stack
        self.probe = probe
        self.status_topic = stack.topics.var("auth", "main", "token_validation_status")
        probe.subscribe(self.status_topic)
        auth = stack.host("auth").module
        wait_until(lambda: auth.tokens.started, what="Auth started")

    def evse(self, n: int = 1) -> Any:
        return self.stack.host(f"evse{n}").module

    def emit(self, event: str, n: int = 1, **details: Any) -> None:
        evse = self.evse(n)
        evse.submit(lambda: evse.event(event, **details))

    def plug_in(self, n: int = 1) -> None:
        self.emit("SessionStarted", n, session_started={"reason": "EVConnected", "meter_value": METER})

    def present(self, value: str, **extra: Any) -> None:
        """Hand in a token as the token provider would."""
        token = {"id_token": {"value": value, "type": "ISO14443"}, "authorization_type": "RFID",
                 **extra}
        self.probe.publish(self.stack.topics.var("token_provider", "main", "provided_token"),
                           {"data": token})

    def statuses(self, value: str = "DEADBEEF") -> list[str]:
        return [m["data"]["status"] for m in self.probe.payloads(self.status_topic)
                if m["data"]["token"]["id_token"]["value"] == value]

    def wait_statuses(self, expected: list[str], value: str = "DEADBEEF") -> None:
        wait_until(lambda: self.statuses(value) == expected, what=f"statuses {expected}, "
                   f"seen {self.statuses(value)}")

    def calls(self, name: str, n: int = 1) -> list[dict[str, Any]]:
        return [args for cmd, args in self.evse(n).calls if cmd == name]

    def wait_call(self, name: str, n: int = 1, count: int = 1) -> list[dict[str, Any]]:
        return wait_until(lambda: len(self.calls(name, n)) >= count and self.calls(name, n),
                          what=f"{count} x {name} on evse{n}")


@contextmanager
def auth_stack(tmp_path: Path, mosquitto: Mosquitto, probe: Probe, config: dict[str, Any],
               clock: ManualClock | None = None) -> Iterator[AuthStack]:
    options = {"clock": clock} if clock else {}
    with running(write_config(tmp_path, config), mosquitto.address, [DOUBLES], **options) as stack:
        yield AuthStack(stack, probe)


@pytest.fixture
def make_stack(tmp_path: Path, mosquitto: Mosquitto, probe: Probe
               ) -> Iterator[Callable[..., AuthStack]]:
    """Start a stack from ``auth_config(**options)``; it is stopped after the test."""
    stacks = []

    def make(clock: ManualClock | None = None, **options: Any) -> AuthStack:
        context = auth_stack(tmp_path, mosquitto, probe, auth_config(**options), clock)
        stacks.append(context)
        return context.__enter__()

    yield make
    for context in reversed(stacks):
        context.__exit__(None, None, None)
