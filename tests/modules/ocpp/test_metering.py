"""Clock-aligned meter values on the wall clock's multiples of ClockAlignedDataInterval, the
StopTransaction's transactionData, and no meter timer at all while nothing asks for one."""

from __future__ import annotations

import datetime
from typing import Any

from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import PLUG_IN_16A, STAY, Sil
from tests.support.waiting import wait_until

INTERVAL_S = 2


def moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def aligned(csms: Csms) -> list[dict[str, Any]]:
    return [p for p in csms.seen("MeterValues")
            if p["meter_value"][0]["sampled_value"][0]["context"] == "Sample.Clock"]


def pending_timers(sil: Sil) -> list[str]:
    """The OCPP module's armed timers, other than the runtime's own (heartbeat, deadlines of
    calls to other modules)."""
    host = sil.manager._supervised["ocpp"].unit.host
    return [t.callback.__qualname__ for t in list(host._timers._heap)
            if not t.cancelled and getattr(t.callback, "__self__", None) is not host]


def test_aligned_values_fall_on_the_multiples_and_end_in_the_stop(charger: Charger,
                                                                  csms: Csms) -> None:
    charger.core.update(ClockAlignedDataInterval=INTERVAL_S,  # MeterValueSampleInterval 1
                        StopTxnSampledData="Energy.Active.Import.Register",
                        StopTxnAlignedData="Energy.Active.Import.Register,Current.Import")
    with charger.run() as sil:
        wait_until(lambda: len(aligned(csms)) >= 2, 3 * INTERVAL_S + 5, "two aligned values")
        first, second = aligned(csms)[:2]
        assert "transaction_id" not in first  # no transaction yet: sent, not queued
        stamps = [moment(p["meter_value"][0]["timestamp"]) for p in (first, second)]
        assert all(s.timestamp() % INTERVAL_S == 0 for s in stamps), stamps
        assert (stamps[1] - stamps[0]).total_seconds() == INTERVAL_S
        assert first["meter_value"][0]["sampled_value"][0]["measurand"] \
            == "Energy.Active.Import.Register"

        sil.car(PLUG_IN_16A + STAY)
        csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
        assert csms.call(call.RemoteStartTransaction(id_tag="TAG1", connector_id=1)).status \
            == "Accepted"
        csms.wait("StartTransaction")
        sil.wait_current(16.0, since=0.0)
        in_tx = next(p for p in wait_until(lambda: [p for p in aligned(csms) if p.get(
            "transaction_id") == 100], 10, "an aligned value in the transaction"))
        received = datetime.datetime.now(datetime.timezone.utc)
        assert (received - moment(in_tx["meter_value"][0]["timestamp"])).total_seconds() \
            < INTERVAL_S  # sent when its multiple came, not stamped later
        wait_until(lambda: [p for p in aligned(csms) if p.get("transaction_id") == 100 and moment(
            p["meter_value"][0]["timestamp"]) > moment(in_tx["meter_value"][0]["timestamp"])],
                   10, "the next aligned value")
        assert csms.call(call.RemoteStopTransaction(transaction_id=100)).status == "Accepted"
        stop = csms.wait("StopTransaction")

        # the interval switched off: no timer of the OCPP module left once the session is over
        # (the sampler of the transaction is gone with it)
        assert csms.call(call.ChangeConfiguration("ClockAlignedDataInterval", "0")).status \
            == "Accepted"
        assert pending_timers(sil) == []

    contexts = [v["sampled_value"][0]["context"] for v in stop["transaction_data"]]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End"
    assert "Sample.Periodic" in contexts and "Sample.Clock" in contexts
    clock = [v for v in stop["transaction_data"] if v["sampled_value"][0]["context"] == "Sample.Clock"]
    assert clock and all(moment(v["timestamp"]).timestamp() % INTERVAL_S == 0 for v in clock)
    currents = [s for s in clock[-1]["sampled_value"] if s["measurand"] == "Current.Import"]
    assert [s["phase"] for s in currents] == ["L1", "L2", "L3"]
    assert all(float(s["value"]) == 16.0 for s in currents)


def test_no_meter_timer_at_idle_and_unknown_measurands_rejected(sil: Sil, csms: Csms) -> None:
    csms.wait("BootNotification")
    assert pending_timers(sil) == []  # ClockAlignedDataInterval 0, no transaction
    answer = csms.call(call.ChangeConfiguration("MeterValuesAlignedData", "Temperature"))
    assert answer.status == "Rejected"
    answer = csms.call(call.ChangeConfiguration("MeterValuesAlignedData", "Voltage,Current.Import"))
    assert answer.status == "Accepted"
