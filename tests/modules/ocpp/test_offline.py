"""Transaction messages made while the CSMS is away are kept in SQLite and sent in order."""

from __future__ import annotations

import sqlite3
from typing import Any

from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import PLUG_IN_16A, STAY, Sil
from tests.support.waiting import wait_until


def queued(charger: Charger) -> list[str]:
    with sqlite3.connect(charger.database / "transactions.db") as db:
        return [row[0] for row in db.execute("SELECT action FROM messages ORDER BY seq")]


def charge_then_lose_the_csms(charger: Charger, csms: Csms, sil: Sil) -> dict[str, Any]:
    """A remote-started session, the CSMS gone while it charges, the car unplugged while it
    is gone; returns the StartTransaction the CSMS got."""
    prefix = sil.session_event_topic.split("/modules/")[0]
    connected = f"{prefix}/modules/ocpp/impl/main/var/is_connected"
    sil.probe.subscribe(connected)
    sil.car(PLUG_IN_16A + STAY)
    csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
    assert csms.call(call.RemoteStartTransaction(id_tag="TAG1", connector_id=1)).status \
        == "Accepted"
    start = csms.wait("StartTransaction")
    sil.wait_current(16.0, since=0.0)
    csms.wait("MeterValues", lambda p: float(
        p["meter_value"][0]["sampled_value"][0]["value"]) > start["meter_start"])

    csms.stop()
    sil.probe.wait_for(lambda _m: {"data": False} in sil.probe.payloads(connected))
    wait_until(lambda: "MeterValues" in queued(charger), 10, "a MeterValues queued offline")
    mark = sil.mark()
    sil.car_modify("unplug")
    sil.wait_events("TransactionFinished", since=mark)
    wait_until(lambda: queued(charger)[-1:] == ["StopTransaction"], 10, "StopTransaction queued")
    return start


def check_delivered(csms: Csms, seen: int, offline: list[str], start: dict[str, Any]) -> None:
    """Every queued message reached the CSMS after its BootNotification, in the order queued,
    with the CSMS's transactionId."""
    after: list[tuple[str, Any]] = csms.messages[seen:]
    sent = [(a, p) for a, p in after if a in ("MeterValues", "StopTransaction")]
    assert [a for a, _ in sent] == offline
    assert all(p["transaction_id"] == 100 for _, p in sent)
    assert after[0][0] == "BootNotification"
    stop = sent[-1][1]
    assert stop["reason"] == "EVDisconnected" and stop["meter_stop"] > start["meter_start"]


def test_messages_of_an_outage_are_sent_in_order_after_reconnect(charger: Charger,
                                                                 csms: Csms) -> None:
    with charger.run() as sil:
        start = charge_then_lose_the_csms(charger, csms, sil)
        offline, seen = queued(charger), len(csms.messages)
        csms.start()
        csms.wait("StopTransaction", timeout=40)
        wait_until(lambda: not queued(charger), 10, "the queue emptied")
    check_delivered(csms, seen, offline, start)


def test_the_queue_outlives_a_restart_of_the_stack(charger: Charger, csms: Csms) -> None:
    with charger.run() as sil:
        start = charge_then_lose_the_csms(charger, csms, sil)
    offline, seen = queued(charger), len(csms.messages)
    csms.start()
    with charger.run():
        csms.wait("StopTransaction", timeout=40)
        wait_until(lambda: not queued(charger), 10, "the queue emptied")
    check_delivered(csms, seen, offline, start)
