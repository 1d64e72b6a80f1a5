"""OCPP: kill -9 of ``pycharge run --sim`` while a whole session waits in the queue for the CSMS.

Here, not beside the other OCPP tests, because it runs the stack as a process through
``bench.soak_stack`` like test_kill9.py, which the ptest package does not carry.

The CSMS goes away before the car is plugged in; the session is authorized offline
(AllowOfflineTxForUnknownId), charges and ends, so StartTransaction, MeterValues and
StopTransaction are all queued. The process is killed before the CSMS comes back; the next one
sends every queued message exactly once, in order, the later ones with the transactionId the
CSMS gave the StartTransaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from bench.soak_stack import SoakStack

from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.reliability.restarts import START_TIMEOUT_S, Stacks
from tests.sil.stack import PLUG_IN_16A, STAY
from tests.support.waiting import wait_until

TRANSACTION_MESSAGES = ("StartTransaction", "MeterValues", "StopTransaction")


def queued(charger: Charger) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(charger.database / "transactions.db") as db:
        return [(action, json.loads(payload)) for action, payload in
                db.execute("SELECT action, payload FROM messages ORDER BY seq")]


def integrity(charger: Charger) -> str:
    with sqlite3.connect(charger.database / "transactions.db") as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.fixture
def stacks(charger: Charger) -> Iterator[Stacks]:
    charger.core.update(LocalAuthorizeOffline=True, AllowOfflineTxForUnknownId=True)
    started = Stacks(charger.config_file(), charger.broker, charger.tmp_path)
    yield started
    started.close()


def connected_states(stack: SoakStack) -> list[bool]:
    topic = stack.topics.var("ocpp", "main", "is_connected")
    return [json.loads(p)["data"] for t, p in list(stack.watch.messages) if t == topic]


def session_while_offline(stack: SoakStack, charger: Charger) -> None:
    """Plug in, swipe a card, charge for a few meter values, unplug: all with no CSMS."""
    stack.car(PLUG_IN_16A + STAY)
    stack.wait_event("AuthRequired", 0, START_TIMEOUT_S)
    external = stack.api_prefix.split("everest_api/")[0]
    stack.connection.publish(f"{external}everest_api/dummy_token_provider/cmd/provide",
                             json.dumps({"id_token": {"value": "RFID1", "type": "ISO14443"},
                                         "authorization_type": "RFID"}))
    started = stack.wait_event("TransactionStarted", 0, START_TIMEOUT_S)
    stack.wait_event("ChargingStarted", 0, START_TIMEOUT_S)
    meter_start = float(started["transaction_started"]["meter_value"]["energy_Wh_import"]["total"])

    def charged_values() -> list[dict[str, Any]]:
        return [p for a, p in queued(charger) if a == "MeterValues" and float(
            p["meter_value"][0]["sampled_value"][0]["value"]) > meter_start]
    wait_until(lambda: len(charged_values()) >= 2, 15, "two MeterValues with energy queued")
    mark = len(stack.events())
    stack.car_modify("unplug")
    stack.wait_event("TransactionFinished", mark, START_TIMEOUT_S)
    wait_until(lambda: [a for a, _ in queued(charger)][-1:] == ["StopTransaction"], 10,
               "StopTransaction queued")


def test_a_session_queued_offline_outlives_kill_9(stacks: Stacks, charger: Charger,
                                                  csms: Csms) -> None:
    first = stacks.start()
    first.watch.follow(first.topics.var("ocpp", "main", "is_connected"))
    csms.wait("BootNotification", timeout=START_TIMEOUT_S)
    first.watch.wait_for(lambda _m: True in connected_states(first), 15, "connected")
    csms.stop()
    first.watch.wait_for(lambda _m: connected_states(first)[-1:] == [False], 15, "offline")

    session_while_offline(first, charger)
    on_disk = queued(charger)  # with security events (e.g. the refused reconnects) among them
    before_kill = [(a, p) for a, p in on_disk if a in TRANSACTION_MESSAGES]
    assert before_kill[0][0] == "StartTransaction"
    first.kill()
    assert integrity(charger) == "ok"
    assert queued(charger) == on_disk  # everything queued was on disk

    stacks.start()
    seen = len(csms.messages)
    csms.start()
    csms.wait("StopTransaction", timeout=40)
    wait_until(lambda: not queued(charger), 10, "the queue emptied")

    after = csms.messages[seen:]
    assert after[0][0] == "BootNotification"
    sent = [(a, p) for a, p in after if a in TRANSACTION_MESSAGES]
    assert [a for a, _ in sent] == [a for a, _ in before_kill]  # each once, in order
    transaction_id = 100  # the CSMS's answer to the first StartTransaction it got
    for (action, payload), (_, kept) in zip(sent, before_kill, strict=True):
        if action == "StartTransaction":
            assert payload == kept and payload["id_tag"] == "RFID1"
        else:
            assert payload == {**kept, "transaction_id": transaction_id}
    stop = sent[-1][1]
    assert stop["reason"] == "EVDisconnected" and stop["meter_stop"] > sent[0][1]["meter_start"]
