"""Auth with the dummy token provider and validator, on a real broker, fake EvseManagers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.modules.auth.conftest import AuthStack
from tests.modules.energy.support import call
from tests.support.clocks import ManualClock
from tests.support.waiting import wait_until

MakeStack = Callable[..., AuthStack]


def test_a_plug_in_is_authorized_with_the_dummy_token(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.plug_in()
    [response] = stack.wait_call("authorize_response")
    assert response["provided_token"]["id_token"] == {"value": "DEADBEEF", "type": "ISO14443"}
    assert response["provided_token"]["connectors"] == [1]
    assert response["validation_result"] == {"authorization_status": "Accepted",
                                             "tariff_messages": []}
    stack.wait_statuses(["Processing", "Accepted", "UsedToStart"])


def test_a_blocked_token_is_rejected_and_nothing_is_authorized(make_stack: MakeStack) -> None:
    stack = make_stack(validation_result="Blocked")
    stack.plug_in()
    stack.wait_statuses(["Processing", "Rejected"])
    assert stack.calls("authorize_response") == []


def test_the_same_rfid_token_stops_its_transaction(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.plug_in()
    stack.wait_call("authorize_response")
    stack.emit("TransactionStarted", transaction_started={
        "id_tag": {"id_token": {"value": "DEADBEEF", "type": "ISO14443"},
                   "authorization_type": "RFID"}, "meter_value": {
            "timestamp": "2026-03-01T12:00:00.000Z", "energy_Wh_import": {"total": 0.0}}})
    wait_until(lambda: stack.stack.host("auth").module.evses[0].transaction_active,
               what="transaction seen")
    stack.present("deadbeef")  # case does not matter
    [stop] = stack.wait_call("stop_transaction")
    assert stop["request"]["reason"] == "Local"
    stack.wait_statuses(["Processing", "UsedToStop"], "deadbeef")


def test_an_authorization_without_transaction_lapses_after_the_connection_timeout(
        make_stack: MakeStack) -> None:
    clock = ManualClock(1000.0)
    stack = make_stack(clock=clock, connection_timeout=10)
    stack.plug_in()
    stack.wait_call("authorize_response")
    clock.advance(9.9)
    stack.present("OTHER")  # wakes the module at once (it would notice within a second)
    stack.wait_statuses(["Processing", "Rejected"], "OTHER")  # the EVSE is taken
    assert stack.calls("withdraw_authorization") == []
    clock.advance(0.2)
    stack.wait_call("withdraw_authorization")
    stack.wait_statuses(["Processing", "Accepted", "UsedToStart", "TimedOut"])


def test_a_faulted_evse_is_not_authorized_unless_faults_are_ignored(make_stack: MakeStack) -> None:
    stack = make_stack()
    evse = stack.evse()
    evse.submit(evse.impl["evse"].raise_error, "evse_manager/Inoperative", "relay welded")
    wait_until(lambda: stack.stack.host("auth").module.evses[0].faulted, what="fault seen")
    stack.present("CARD1")
    stack.wait_statuses(["Processing", "Rejected"], "CARD1")
    evse.submit(evse.impl["evse"].clear_error, "evse_manager/Inoperative")
    wait_until(lambda: not stack.stack.host("auth").module.evses[0].faulted, what="fault cleared")
    stack.present("CARD2")
    stack.wait_statuses(["Processing", "Accepted", "UsedToStart"], "CARD2")


def test_ignore_connector_faults(make_stack: MakeStack) -> None:
    stack = make_stack(ignore_connector_faults=True)
    evse = stack.evse()
    evse.submit(evse.impl["evse"].raise_error, "evse_manager/Inoperative", "too hot")
    stack.present("CARD1")
    stack.wait_statuses(["Processing", "Accepted", "UsedToStart"], "CARD1")


def test_a_disabled_evse_is_not_authorized(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.emit("Disabled")
    wait_until(lambda: not stack.stack.host("auth").module.evses[0].enabled, what="disabled")
    stack.present("CARD1")
    stack.wait_statuses(["Processing", "Rejected"], "CARD1")


def test_find_first_picks_the_evse_where_a_car_waits(make_stack: MakeStack) -> None:
    stack = make_stack(evses=2)
    stack.emit("SessionStarted", 2, session_started={
        "reason": "EVConnected", "meter_value": {"timestamp": "2026-03-01T12:00:00.000Z",
                                                 "energy_Wh_import": {"total": 0.0}}})
    wait_until(lambda: stack.stack.host("auth").module.tokens.plug_in_queue, what="plug-in seen")
    stack.present("CARD1")
    [response] = stack.wait_call("authorize_response", 2)
    assert response["provided_token"]["connectors"] == [2]
    stack.present("CARD2")  # the other EVSE is still free
    stack.wait_call("authorize_response", 1)


def test_plug_events_waits_for_a_plug_in_or_a_withdrawal(make_stack: MakeStack) -> None:
    stack = make_stack(evses=2, selection_algorithm="PlugEvents")
    tokens = stack.stack.host("auth").module.tokens
    stack.present("CARD1")
    stack.wait_statuses(["Processing", "Accepted"], "CARD1")
    wait_until(lambda: tokens.waiting, what="CARD1 waiting for a plug-in")
    answer = call(stack.stack, stack.probe, "auth", "main", "withdraw_authorization",
                  request={"id_token": {"value": "card1", "type": "ISO14443"}})
    assert answer["retval"] == "Accepted"
    stack.wait_statuses(["Processing", "Accepted", "Withdrawn"], "CARD1")
    stack.present("CARD2")
    wait_until(lambda: tokens.waiting, what="CARD2 waiting for a plug-in")
    stack.plug_in(2)
    [response] = stack.wait_call("authorize_response", 2)
    assert response["provided_token"]["id_token"]["value"] == "CARD2"
    stack.wait_statuses(["Processing", "Accepted", "UsedToStart"], "CARD2")
    assert stack.calls("authorize_response", 1) == []


def test_plug_events_gives_up_after_the_connection_timeout(make_stack: MakeStack) -> None:
    clock = ManualClock(1000.0)
    stack = make_stack(clock=clock, evses=2, selection_algorithm="PlugEvents", connection_timeout=10)
    stack.present("CARD1")
    wait_until(lambda: stack.stack.host("auth").module.tokens.waiting, what="CARD1 waiting")
    clock.advance(10.5)
    stack.present("NUDGE")  # wakes the module at once (it would notice within a second)
    stack.wait_statuses(["Processing", "Accepted", "TimedOut"], "CARD1")


@pytest.mark.parametrize(("request_", "outcome", "withdrawn"), [
    ({"evse_id": 1}, "Accepted", True),
    ({}, "Accepted", True),
    ({"evse_id": 1, "id_token": {"value": "OTHER", "type": "ISO14443"}}, "AuthorizationNotFound", False),
    ({"evse_id": 7}, "EvseNotFound", False),
])
def test_withdraw_authorization(make_stack: MakeStack, request_: dict, outcome: str,
                                withdrawn: bool) -> None:
    stack = make_stack()
    stack.plug_in()
    stack.wait_call("authorize_response")
    answer = call(stack.stack, stack.probe, "auth", "main", "withdraw_authorization",
                  request=request_)
    assert answer["retval"] == outcome
    if withdrawn:
        stack.wait_call("withdraw_authorization")
    else:
        assert stack.calls("withdraw_authorization") == []


def test_user_input_is_not_implemented_and_find_first_is_used(
        make_stack: MakeStack, caplog: pytest.LogCaptureFixture) -> None:
    stack = make_stack(selection_algorithm="UserInput")
    assert "selection_algorithm UserInput is not implemented; using FindFirst" in caplog.text
    stack.plug_in()
    stack.wait_call("authorize_response")
