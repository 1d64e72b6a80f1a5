"""Random and malformed payloads on command and variable topics never stop a module."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycharge.runtime.manager import Manager
from tests.support.probe import Probe

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
COMMAND = st.fixed_dictionaries({"id": st.text(max_size=10) | st.integers(),
                                 "origin": st.sampled_from(["probe", "user", "", "a/b", "#"]),
                                 "args": JSON | st.dictionaries(st.sampled_from(["a", "b", "c"]),
                                                                JSON)})
PAYLOAD = st.binary(max_size=200) | JSON.map(json.dumps) | COMMAND.map(json.dumps)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def still_healthy(stack: Manager) -> None:
    link = stack.host("user").module.connection("provider")
    assert link.call("add", a=1, b=2) == 6.0
    assert stack.status()["provider"]["restarts"] == 0
    assert stack.status()["user"]["restarts"] == 0


@FUZZ
@given(cmd=st.sampled_from(["add", "set_error", "block", "nope"]), payload=PAYLOAD)
def test_random_command_payloads(stack: Manager, probe: Probe, cmd: str, payload: str) -> None:
    if cmd == "block" and b'"seconds"' in (payload if isinstance(payload, bytes)
                                            else payload.encode()):
        cmd = "add"  # a valid long block would (rightly) trip the watchdog
    probe.publish(stack.topics.cmd("provider", "main", cmd), payload)
    still_healthy(stack)


@FUZZ
@given(payload=PAYLOAD)
def test_random_variable_payloads(stack: Manager, probe: Probe, payload: str) -> None:
    probe.publish(stack.topics.var("provider", "main", "counter"), payload)
    still_healthy(stack)


@FUZZ
@given(payload=PAYLOAD)
def test_random_error_payloads(stack: Manager, probe: Probe, payload: str) -> None:
    probe.publish(stack.topics.error("provider", "main", "example/Broken"), payload)
    still_healthy(stack)
