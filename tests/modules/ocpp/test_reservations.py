"""ReserveNow and CancelReservation: the CSMS keeps the connector for one tag (Auth's
reservations), the connector shows Reserved, only that tag starts a transaction there and
StartTransaction names the reservation; expiry, cancellation and the refusals (OCPP 1.6 §5.13)."""

from __future__ import annotations

import datetime

from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger, swipe
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import PLUG_IN_16A, STAY, Sil
from tests.support.waiting import wait_until


def expiry(seconds: float) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def reserve(csms: Csms, connector: int, id_tag: str = "RES1", reservation_id: int = 7,
            seconds: float = 600, parent: str | None = None) -> str:
    return csms.call(call.ReserveNow(connector_id=connector, expiry_date=expiry(seconds),
                                     id_tag=id_tag, reservation_id=reservation_id,
                                     parent_id_tag=parent)).status


def statuses(csms: Csms) -> list[str]:
    return [p["status"] for p in csms.seen("StatusNotification") if p["connector_id"] == 1]


def wait_status(csms: Csms, status: str, after: int = 0) -> None:
    """Connector 1 reports ``status`` in one of its StatusNotifications from the ``after``-th on."""
    wait_until(lambda: status in statuses(csms)[after:], 15, f"connector 1 {status}")


def wait_refused(sil: Sil, id_tag: str) -> None:
    """Auth's verdict on a swiped tag: Rejected (the connector is kept for another)."""
    topic = sil.session_event_topic.split("/modules/")[0] + \
        "/modules/auth/impl/main/var/token_validation_status"
    sil.probe.subscribe(topic)
    swipe(sil, id_tag)
    sil.probe.wait_for(lambda _m: any(
        p["data"]["token"]["id_token"]["value"] == id_tag and p["data"]["status"] == "Rejected"
        for p in sil.probe.payloads(topic)))


def test_only_the_reserved_tag_starts_and_uses_the_reservation(sil: Sil, csms: Csms) -> None:
    wait_status(csms, "Available")
    assert reserve(csms, 1, parent="GROUP") == "Accepted"
    wait_status(csms, "Reserved")
    sil.car(PLUG_IN_16A + STAY)
    wait_refused(sil, "OTHER")
    swipe(sil, "RES1")
    start = csms.wait("StartTransaction")
    assert (start["id_tag"], start["reservation_id"]) == ("RES1", 7)
    wait_status(csms, "Charging")
    assert [p["id_tag"] for p in csms.seen("StartTransaction")] == ["RES1"]
    assert csms.call(call.CancelReservation(reservation_id=7)).status == "Rejected"  # used up


def test_a_reservation_ends_at_its_expiry_or_when_cancelled(sil: Sil, csms: Csms) -> None:
    wait_status(csms, "Available")
    assert reserve(csms, 1, seconds=2) == "Accepted"
    wait_status(csms, "Reserved")
    wait_status(csms, "Available", after=statuses(csms).index("Reserved"))
    assert csms.call(call.CancelReservation(reservation_id=7)).status == "Rejected"  # expired
    seen = len(statuses(csms))
    assert reserve(csms, 1, reservation_id=8) == "Accepted"
    assert reserve(csms, 1, id_tag="RES2", reservation_id=9) == "Occupied"  # kept for 8
    wait_status(csms, "Reserved", after=seen)
    seen = len(statuses(csms))
    assert csms.call(call.CancelReservation(reservation_id=8)).status == "Accepted"
    wait_status(csms, "Available", after=seen)
    sil.car(PLUG_IN_16A + STAY)
    swipe(sil, "ANYONE")  # free again
    assert csms.wait("StartTransaction")["id_tag"] == "ANYONE"
    assert "reservation_id" not in csms.seen("StartTransaction")[0]


def test_refusals(charger: Charger, csms: Csms) -> None:
    with charger.run() as sil:
        wait_status(csms, "Available")
        assert reserve(csms, 0) == "Rejected"  # ReserveConnectorZeroSupported is false
        assert reserve(csms, 2) == "Rejected"  # no such connector
        assert reserve(csms, 1, seconds=-60) == "Rejected"  # expired already
        sil.car(PLUG_IN_16A + STAY)
        wait_status(csms, "Preparing")
        assert reserve(csms, 1) == "Occupied"
    charger.core.update(SupportedFeatureProfiles="Core,RemoteTrigger")
    with charger.run():
        csms.wait("BootNotification")
        assert reserve(csms, 1) == "Rejected"  # the Reservation profile is not supported


def test_connector_zero_keeps_the_only_connector_for_the_tag(charger: Charger, csms: Csms
                                                              ) -> None:
    charger.reservation.update(ReserveConnectorZeroSupported=True)
    with charger.run() as sil:
        wait_status(csms, "Available")
        assert reserve(csms, 0, reservation_id=3) == "Accepted"
        assert reserve(csms, 0, id_tag="RES2", reservation_id=4) == "Occupied"  # one EVSE only
        sil.car(PLUG_IN_16A + STAY)
        wait_refused(sil, "OTHER")
        swipe(sil, "RES1")
        start = csms.wait("StartTransaction")
        assert (start["id_tag"], start["reservation_id"]) == ("RES1", 3)
