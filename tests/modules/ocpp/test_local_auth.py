"""The Local Authorization List and the Authorization Cache: SendLocalList's versions and
limits, GetLocalListVersion, ClearCache, and tokens validated from them while the CSMS is away,
also after a restart. Tokens are validated as Auth asks for it: OCPP's auth_validator over MQTT."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger, swipe
from tests.modules.ocpp.csms import Csms
from tests.modules.system.bus import SystemBus
from tests.sil.stack import PLUG_IN_16A, STAY, Sil


def validator(sil: Sil) -> SystemBus:
    prefix = sil.session_event_topic.split("/modules/")[0] + "/"
    return SystemBus(sil.probe, prefix, "ocpp", impl="auth_validator")


def status(sil: Sil, id_tag: str) -> str:
    token = {"id_token": {"value": id_tag, "type": "ISO14443"}, "authorization_type": "RFID"}
    return validator(sil).call("validate_token", provided_token=token)["authorization_status"]


def connection_topic(sil: Sil) -> str:
    return sil.session_event_topic.split("/modules/")[0] + "/modules/ocpp/impl/main/var/is_connected"


def follow_connection(sil: Sil) -> Sil:
    """Watch OCPP's is_connected from now on (before the CSMS goes away or comes back)."""
    sil.probe.subscribe(connection_topic(sil))
    return sil


def wait_connected(sil: Sil, connected: bool) -> None:
    topic = connection_topic(sil)
    sil.probe.wait_for(lambda _m: sil.probe.payloads(topic)[-1:] == [{"data": connected}])


def entry(id_tag: str, state: str | None = "Accepted") -> dict[str, Any]:
    return {"idTag": id_tag} if state is None else {"idTag": id_tag, "idTagInfo": {"status": state}}


def send(csms: Csms, version: int, kind: str, *entries: dict[str, Any]) -> str:
    return csms.call(call.SendLocalList(list_version=version, update_type=kind,
                                        local_authorization_list=list(entries))).status


def version(csms: Csms) -> int:
    return csms.call(call.GetLocalListVersion()).list_version


def test_local_list_versions_limits_and_a_restart(charger: Charger, csms: Csms) -> None:
    charger.core.update(LocalAuthorizeOffline=True)
    charger.local_list.update(LocalAuthListMaxLength=3, SendLocalListMaxLength=2)
    with charger.run():
        assert version(csms) == 0
        assert send(csms, 1, "Full", entry("A"), entry("B", "Blocked")) == "Accepted"
        assert version(csms) == 1
        assert send(csms, 1, "Differential", entry("C")) == "VersionMismatch"
        assert send(csms, 2, "Differential", entry("B", None), entry("C")) == "Accepted"
        assert send(csms, 3, "Full", entry("A"), entry("C"), entry("D")) == "Failed"  # > 2 sent
        assert send(csms, 3, "Differential", entry("D"), entry("E")) == "Failed"  # > 3 kept
        assert version(csms) == 2
        assert csms.call(call.ChangeConfiguration("LocalAuthListMaxLength", "9")).status \
            == "Rejected"

    csms.messages.clear()
    with charger.run() as stack:
        sil = follow_connection(stack)
        assert version(csms) == 2  # the list outlived the restart
        csms.wait("Heartbeat")  # connected: the module knows it before it loses it
        csms.stop()
        wait_connected(sil, False)
        assert [status(sil, tag) for tag in "ABCD"] == ["Accepted", "Timeout", "Accepted",
                                                         "Timeout"]  # B removed, D refused


def test_a_disabled_list_is_not_supported(charger: Charger, csms: Csms) -> None:
    charger.local_list.update(LocalAuthListEnabled=False)
    with charger.run():
        assert version(csms) == -1
        assert send(csms, 1, "Full", entry("A")) == "NotSupported"


def test_the_cache_answers_offline_until_cleared(charger: Charger, csms: Csms) -> None:
    charger.core.update(LocalAuthorizeOffline=True)
    csms.id_tags["BAD"] = "Blocked"
    with charger.run() as stack:
        sil = follow_connection(stack)
        assert status(sil, "GOOD") == "Accepted" and status(sil, "BAD") == "Blocked"
        assert [p["id_tag"] for p in csms.seen("Authorize")] == ["GOOD", "BAD"]
        assert csms.call(call.ChangeConfiguration("LocalPreAuthorize", "true")).status \
            == "Accepted"
        assert status(sil, "GOOD") == "Accepted"  # from the cache, not asked again
        assert status(sil, "BAD") == "Blocked"  # the cache does not accept it: asked again
        assert [p["id_tag"] for p in csms.seen("Authorize")] == ["GOOD", "BAD", "BAD"]
        csms.stop()
        wait_connected(sil, False)

    with charger.run() as stack:  # restarted while the CSMS is away
        sil = follow_connection(stack)
        assert [status(sil, t) for t in ("GOOD", "BAD", "NEW")] == ["Accepted", "Blocked",
                                                                     "Timeout"]
        csms.start()
        wait_connected(sil, True)
        assert csms.call(call.ClearCache()).status == "Accepted"
        assert csms.call(call.ChangeConfiguration("AllowOfflineTxForUnknownId", "true")).status \
            == "Accepted"
        csms.stop()
        wait_connected(sil, False)
        assert [status(sil, t) for t in ("GOOD", "BAD")] == ["Accepted", "Accepted"]  # unknown


def test_start_transaction_answers_fill_the_cache(charger: Charger, csms: Csms) -> None:
    """A remote start the CSMS does not want authorized again (AuthorizeRemoteTxRequests
    false: no Authorize.req) puts its tag in the cache through StartTransaction's idTagInfo."""
    charger.core.update(LocalAuthorizeOffline=True, AuthorizeRemoteTxRequests=False)
    with charger.run() as stack:
        sil = follow_connection(stack)
        sil.car(PLUG_IN_16A + STAY)
        csms.wait("StatusNotification", lambda p: p["status"] == "Preparing")
        assert csms.call(call.RemoteStartTransaction(id_tag="REMOTE", connector_id=1)).status \
            == "Accepted"
        csms.wait("StartTransaction")
        assert csms.seen("Authorize") == []
        csms.stop()
        wait_connected(sil, False)
        assert status(sil, "REMOTE") == "Accepted"


def test_a_transaction_started_offline_and_refused_later_is_stopped(charger: Charger,
                                                                   csms: Csms) -> None:
    charger.core.update(AllowOfflineTxForUnknownId=True)  # StopTransactionOnInvalidId: true
    csms.id_tags["STRANGER"] = "Invalid"
    with charger.run() as stack:
        sil = follow_connection(stack)
        csms.wait("Heartbeat")  # connected
        csms.stop()
        wait_connected(sil, False)
        sil.car(PLUG_IN_16A + STAY)
        sil.wait_events("AuthRequired")
        swipe(sil, "STRANGER")
        sil.wait_events("TransactionStarted")
        csms.start()
        stop = csms.wait("StopTransaction", timeout=40)
    assert stop["reason"] == "DeAuthorized" and stop["transaction_id"] == 100
