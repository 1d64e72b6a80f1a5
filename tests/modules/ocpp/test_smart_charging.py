"""SmartCharging against the real stack: a TxDefaultProfile and then a TxProfile limit the
car's current through the energy tree (the CSMS's profile becomes the grid connection's external
limit), GetCompositeSchedule reports it, the TxProfile ends with its transaction, and the
profiles OCPP 1.6 §5.16 does not allow are refused."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.sil.stack import PLUG_IN_16A, STAY, Sil


def profile(profile_id: int, purpose: str, stack: int, amps: float, **extra: Any
            ) -> dict[str, Any]:
    return {"chargingProfileId": profile_id, "stackLevel": stack,
            "chargingProfilePurpose": purpose, "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": amps}]}, **extra}


def install(csms: Csms, connector: int, body: dict[str, Any]) -> str:
    return csms.call(call.SetChargingProfile(connector_id=connector,
                                             cs_charging_profiles=body)).status


def composite_limit(csms: Csms) -> float:
    answer = csms.call(call.GetCompositeSchedule(connector_id=1, duration=60))
    assert answer.status == "Accepted"
    return answer.charging_schedule["charging_schedule_period"][0]["limit"]


def test_profiles_limit_the_car_through_the_energy_tree(sil: Sil, csms: Csms) -> None:
    csms.wait("BootNotification")
    assert install(csms, 1, profile(1, "TxDefaultProfile", 0, 10.0)) == "Accepted"
    assert composite_limit(csms) == 10.0
    since = sil.now()
    sil.car(PLUG_IN_16A + STAY)
    csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
    assert csms.call(call.RemoteStartTransaction(id_tag="TAG1")).status == "Accepted"
    csms.wait("StartTransaction")
    sil.wait_current(10.0, since)
    since = sil.now()
    assert install(csms, 1, profile(2, "TxProfile", 1, 8.0, transactionId=100)) == "Accepted"
    sil.wait_current(8.0, since)
    assert composite_limit(csms) == 8.0
    assert csms.call(call.RemoteStopTransaction(transaction_id=100)).status == "Accepted"
    csms.wait("StopTransaction")
    assert composite_limit(csms) == 10.0  # the TxProfile went with its transaction
    assert csms.call(call.ClearChargingProfile(id=1)).status == "Accepted"
    assert csms.call(call.ClearChargingProfile(id=1)).status == "Unknown"
    assert csms.call(call.GetCompositeSchedule(connector_id=1, duration=60)).status == "Rejected"


def test_refused_profiles(charger: Charger, csms: Csms) -> None:
    with charger.run():
        csms.wait("BootNotification")
        assert install(csms, 1, profile(1, "ChargePointMaxProfile", 0, 10.0)) == "Rejected"
        assert install(csms, 1, profile(1, "TxProfile", 0, 10.0)) == "Rejected"  # no transaction
        assert install(csms, 1, profile(1, "TxDefaultProfile", 11, 10.0)) == "Rejected"  # > 10
        assert install(csms, 2, profile(1, "TxDefaultProfile", 0, 10.0)) == "Rejected"
        assert install(csms, 0, profile(1, "ChargePointMaxProfile", 0, 10.0)) == "Accepted"
    charger.core.update(SupportedFeatureProfiles="Core,RemoteTrigger")
    with charger.run():
        csms.wait("BootNotification", lambda _p: len(csms.seen("BootNotification")) == 2)
        assert install(csms, 0, profile(2, "ChargePointMaxProfile", 0, 10.0)) == "Rejected"


def test_remote_start_with_a_tx_profile(sil: Sil, csms: Csms) -> None:
    csms.wait("BootNotification")
    assert csms.call(call.RemoteStartTransaction(
        id_tag="TAG1", charging_profile=profile(3, "TxDefaultProfile", 0, 7.0))).status \
        == "Rejected"  # only a TxProfile may come with it
    since = sil.now()
    sil.car(PLUG_IN_16A + STAY)
    csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
    assert csms.call(call.RemoteStartTransaction(
        id_tag="TAG1", connector_id=1, charging_profile=profile(3, "TxProfile", 0, 7.0))
        ).status == "Accepted"
    csms.wait("StartTransaction")
    sil.wait_current(7.0, since)
    assert composite_limit(csms) == 7.0
