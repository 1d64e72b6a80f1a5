"""ChangeAvailability: a connector made Inoperative shows Unavailable, stays so across a
restart, and one with a transaction changes when the transaction ends (OCPP 1.6 §5.3)."""

from __future__ import annotations

from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import PLUG_IN_16A, STAY
from tests.support.waiting import wait_until


def statuses(csms: Csms, connector: int) -> list[str]:
    return [p["status"] for p in csms.seen("StatusNotification") if p["connector_id"] == connector]


def wait_status(csms: Csms, connector: int, status: str, after: int = 0) -> None:
    wait_until(lambda: status in statuses(csms, connector)[after:], 15,
               f"connector {connector} {status}")


def change(csms: Csms, connector: int, kind: str) -> str:
    return csms.call(call.ChangeAvailability(connector_id=connector, type=kind)).status


def test_inoperative_persists_across_a_restart(charger: Charger, csms: Csms) -> None:
    with charger.run():
        wait_status(csms, 1, "Available")
        assert change(csms, 2, "Inoperative") == "Rejected"  # no such connector
        assert change(csms, 1, "Inoperative") == "Accepted"
        wait_status(csms, 1, "Unavailable")
        wait_status(csms, 0, "Unavailable")  # its only connector is
    seen = len(statuses(csms, 1))
    with charger.run(available=False):
        csms.wait("BootNotification", lambda _p: len(csms.seen("BootNotification")) == 2)
        wait_status(csms, 1, "Unavailable", after=seen)
        seen = len(statuses(csms, 1))
        assert change(csms, 0, "Operative") == "Accepted"
        wait_status(csms, 1, "Available", after=seen)
        wait_status(csms, 0, "Available", after=statuses(csms, 0).index("Unavailable"))


def test_a_transaction_makes_it_scheduled(charger: Charger, csms: Csms) -> None:
    with charger.run() as sil:
        sil.car(PLUG_IN_16A + STAY)
        wait_status(csms, 1, "Preparing")
        assert csms.call(call.RemoteStartTransaction(id_tag="TAG1")).status == "Accepted"
        csms.wait("StartTransaction")
        wait_status(csms, 1, "Charging")
        assert change(csms, 0, "Inoperative") == "Scheduled"
        assert "Unavailable" not in statuses(csms, 1)
        assert csms.call(call.RemoteStopTransaction(transaction_id=100)).status == "Accepted"
        csms.wait("StopTransaction")
        wait_status(csms, 1, "Unavailable")
