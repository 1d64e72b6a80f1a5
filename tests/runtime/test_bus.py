"""The bus between modules: commands, variables, errors, and what happens to bad input."""

from __future__ import annotations

import json
import time

import pytest

from pycharge.runtime.manager import Manager
from pycharge.runtime.module import CMD_TIMEOUT, SCHEMA_VALIDATION_ERROR, CommandError
from tests.support.probe import Probe
from tests.support.waiting import wait_until


@pytest.fixture(params=["mosquitto", "embedded"])
def broker(request: pytest.FixtureRequest) -> object:
    """Every bus test runs against mosquitto and against the embedded broker."""
    return request.getfixturevalue(f"{request.param}_broker" if request.param == "embedded"
                                   else request.param)


def provider_link(stack: Manager):
    return stack.host("user").module.connection("provider")


def test_command_round_trip_in_ready_and_from_outside(stack: Manager) -> None:
    assert stack.host("user").module.ready_results == [10.0]
    assert provider_link(stack).call("add", a=1.5, b=2) == 7.0


def test_variables_reach_the_subscriber(stack: Manager) -> None:
    seen = stack.host("user").module.seen_counter
    wait_until(lambda: len(seen) >= 3, what="three counter values")
    assert seen == sorted(seen)


def test_call_times_out_and_the_callee_carries_on(stack: Manager) -> None:
    link = provider_link(stack)
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        link.call("block", seconds=3.0, timeout=0.2)
    assert caught.value.kind == CMD_TIMEOUT
    assert time.monotonic() - started < 2.5  # gave up long before the handler finished
    assert link.call("add", a=1, b=1) == 4.0


def test_a_call_nobody_waits_on_still_times_out(stack: Manager) -> None:
    """A module that calls without waiting (call_async) learns of the timeout from the
    deadline timer of its host; nothing else would ever fail the future."""
    future = provider_link(stack).call_async("block", seconds=3.0, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        future.result(timeout=2.5)
    assert caught.value.kind == CMD_TIMEOUT
    assert "no answer in time" in str(caught.value), "failed by the deadline, not by result()"
    assert 0.25 <= time.monotonic() - started < 2.5


def test_handler_exception_reaches_the_caller(stack: Manager) -> None:
    with pytest.raises(CommandError, match="HandlerException: RuntimeError: asked to fail"):
        provider_link(stack).call("fail")


@pytest.mark.parametrize(("args", "message"), [
    ({"a": "one", "b": 2}, "a: expected number, got string 'one'"),
    ({"a": 1}, "missing argument 'b'"),
    ({"a": 1, "b": 2, "c": 3}, "unknown argument 'c'"),
])
def test_bad_arguments_are_refused_before_sending(stack: Manager, args: dict, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        provider_link(stack).call("add", **args)
    assert caught.value.kind == SCHEMA_VALIDATION_ERROR
    assert message in caught.value.message


def raw_call(stack: Manager, probe: Probe, cmd: str, body: object, origin: str = "probe") -> dict:
    """Send a hand-made command message and return the answer the callee publishes."""
    topic = stack.topics.cmd("provider", "main", cmd)
    reply = stack.topics.response("provider", "main", cmd, origin)
    probe.subscribe(reply)
    probe.publish(topic, body if isinstance(body, (bytes, str)) else json.dumps(body))
    return probe.wait_for(lambda messages: next(
        (json.loads(p) for t, p in messages if t == reply), None))


def test_wrong_argument_type_on_the_wire_is_answered_with_an_error(stack: Manager,
                                                                  probe: Probe) -> None:
    answer = raw_call(stack, probe, "add", {"id": "w1", "origin": "probe",
                                            "args": {"a": True, "b": 2}})
    assert answer == {"id": "w1", "error": {"type": "SchemaValidationError",
                                            "message": "a: expected number, got boolean True"}}
    assert stack.host("provider").module.add_calls == 1  # only the call made in ready


def test_unknown_command_is_answered_with_an_error(stack: Manager, probe: Probe) -> None:
    answer = raw_call(stack, probe, "explode", {"id": "u1", "origin": "probe", "args": {}})
    assert answer["error"]["message"] == "interface example has no command 'explode'"


def test_a_duplicate_command_runs_once(stack: Manager, probe: Probe) -> None:
    body = {"id": "dup", "origin": "probe", "args": {"a": 1, "b": 1}}
    assert raw_call(stack, probe, "add", body)["retval"] == 4.0
    probe.publish(stack.topics.cmd("provider", "main", "add"), json.dumps(body))
    reply = stack.topics.response("provider", "main", "add", "probe")
    probe.wait_for(lambda messages: sum(t == reply for t, _ in messages) == 2)
    assert stack.host("provider").module.add_calls == 2  # ready's call + one


def test_a_command_past_its_deadline_is_not_run(stack: Manager, probe: Probe) -> None:
    body = {"id": "late", "origin": "probe", "args": {"a": 1, "b": 1},
            "deadline": time.monotonic() - 1}
    answer = raw_call(stack, probe, "add", body)
    assert answer["error"]["type"] == "CmdTimeout"
    assert stack.host("provider").module.add_calls == 1


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"origin": "probe"}',
                                     b'{"id": 5, "origin": "probe"}',
                                     b'{"id": "x", "origin": "a/b"}', b"x" * 300_000])
def test_malformed_commands_are_dropped_and_the_module_lives(stack: Manager, probe: Probe,
                                                             payload: bytes) -> None:
    probe.publish(stack.topics.cmd("provider", "main", "add"), payload)
    assert provider_link(stack).call("add", a=0, b=1) == 2.0
    assert stack.status()["provider"]["restarts"] == 0


@pytest.mark.parametrize("origin", ["a\\u0001b", "\\u0000", "\\ud800", "x\\ufffe", "\\u0085",
                                    "\\udbff\\udfff", "+", "x" * 300])
def test_a_caller_id_the_broker_would_refuse_gets_no_answer(stack: Manager, probe: Probe,
                                                            origin: str) -> None:
    """An answer to such a caller would be a topic the broker refuses by disconnecting us; paho
    would re-send it after each reconnect and the stack would never be on the bus again."""
    reconnects: list[bool] = []
    stack.connection.on_reconnect(lambda: reconnects.append(True))
    body = '{"id": "odd", "origin": "' + origin + '", "args": {"a": 1, "b": 1}, "deadline": 0}'
    probe.publish(stack.topics.cmd("provider", "main", "add"), body.encode())
    assert provider_link(stack).call("add", a=0, b=1) == 2.0
    assert stack.host("provider").module.add_calls == 2  # ready's and ours, not the odd one
    assert reconnects == []


def test_a_topic_the_broker_would_refuse_is_not_published(stack: Manager) -> None:
    reconnects: list[bool] = []
    stack.connection.on_reconnect(lambda: reconnects.append(True))
    assert not stack.connection.publish("pycharge/test/\x07", b"1")
    assert not stack.connection.publish("pycharge/test/#", b"1")
    assert provider_link(stack).call("add", a=0, b=1) == 2.0
    assert reconnects == []


def test_a_variable_with_the_wrong_type_is_rejected(stack: Manager, probe: Probe) -> None:
    user = stack.host("user").module
    topic = stack.topics.var("provider", "main", "counter")
    for bad in (b'{"data": "seven"}', b"{}", b"garbage"):
        probe.publish(topic, bad)
    probe.publish(topic, json.dumps({"data": -42}))
    wait_until(lambda: -42 in user.seen_counter, what="the good value")
    assert not [v for v in user.seen_counter if not isinstance(v, int)]


def test_errors_are_raised_and_cleared_at_the_requirer(stack: Manager) -> None:
    link = provider_link(stack)
    user = stack.host("user").module
    link.call("set_error", active=True, sub_type="left")
    link.call("set_error", active=True, sub_type="right")
    link.call("set_error", active=True, sub_type="left")  # already active: no second raise
    wait_until(lambda: len(user.raised) == 2, what="two raised errors")
    assert [(e.type, e.sub_type, e.severity, e.origin["module_id"]) for e in user.raised] == [
        ("example/Broken", "left", "High", "provider"), ("example/Broken", "right", "High",
                                                         "provider")]
    assert user.raised[0].description == "Something is broken"
    link.call("set_error", active=False, sub_type="left")
    wait_until(lambda: user.cleared, what="a cleared error")
    assert [(e.sub_type, e.state) for e in user.cleared] == [("left", "ClearedByModule")]


def test_a_late_subscriber_learns_active_errors(stack: Manager, probe: Probe) -> None:
    provider_link(stack).call("set_error", active=True, sub_type="early")
    topic = stack.topics.error("provider", "main", "example/Broken")
    probe.subscribe(topic)
    state = probe.wait_for(lambda messages: next(
        (json.loads(p) for t, p in messages if t == topic and b"early" in p), None))
    assert [e["sub_type"] for e in state["active"]] == ["early"]
