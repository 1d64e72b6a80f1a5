"""Security profiles 1-3 against a real CSMS on loopback, with certificates made for the test:
Basic authentication, TLS with the CSMS's certificate checked, the charge point's certificate,
and the SecurityEventNotifications of what went wrong, sent once the CSMS can be reached."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Mosquitto, free_port
from tests.modules.ocpp.certificates import Certificates
from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.support.waiting import wait_until

KEY = "AABBCCDDEEFFGGHH"  # AuthorizationKey, as in EVerest's security profile tests
BASIC = "Basic " + base64.b64encode(f"cp001:{KEY}".encode()).decode()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.make(tmp_path_factory.mktemp("certificates"), "cp001")


@pytest.fixture
def tls_csms(certificates: Certificates) -> Iterator[Csms]:
    """A CSMS over TLS; a test sets ``tls`` anew before starting it again."""
    server = Csms(free_port())
    server.tls = certificates.server_context()
    yield server
    if server._thread is not None and server._thread.is_alive():
        server.stop()


def tls_charger(tmp_path: Path, mosquitto: Mosquitto, csms: Csms, certificates: Certificates,
                profile: int, client_cert: bool = True) -> Charger:
    """The charger with EvseSecurity's store in tmp_path: the CSMS root CA bundle and, with
    ``client_cert``, the charge point's certificate and key."""
    leaves = tmp_path / "client" / "csms"
    leaves.mkdir(parents=True)
    if client_cert:
        for source in certificates.client:
            (leaves / source.name).write_bytes(source.read_bytes())
    security = {"SecurityProfile": profile} | ({"AuthorizationKey": KEY} if profile == 2 else {})
    return Charger(tmp_path, mosquitto, csms, security=security,
                   evse_security={"csms_ca_bundle": str(certificates.ca),
                                  "csms_leaf_cert_directory": str(leaves),
                                  "csms_leaf_key_directory": str(leaves)})


def refused_twice(csms: Csms) -> None:
    """The charge point began two TLS handshakes and no websocket got through: the first
    attempt failed all the way and it came back."""
    wait_until(lambda: csms.handshakes >= 2, 15, "two TLS handshakes")
    assert csms.paths == [] and csms.messages == []


def test_profile_1_sends_basic_auth_and_a_refusal_is_reported_later(
        charger: Charger, csms: Csms) -> None:
    charger.security = {"SecurityProfile": 1, "AuthorizationKey": KEY}
    csms.basic_auth = "cp001:some-other-key"
    with charger.run():
        wait_until(lambda: len(csms.authorizations) >= 2, 15, "two attempts")
        assert csms.authorizations[0] == BASIC and csms.messages == []
        csms.basic_auth = f"cp001:{KEY}"  # the CSMS learns the key
        event = csms.wait("SecurityEventNotification",
                          lambda p: p["type"] == "FailedToAuthenticateAtCentralSystem", 20)
        assert event["tech_info"] == "HTTP 401"
        # queued at the start, before the failure: sent first
        assert csms.seen("SecurityEventNotification")[0]["type"] == "StartupOfTheDevice"
    assert csms.messages[0][0] == "BootNotification"
    assert csms.paths[-1] == "/cp001" and csms.url.startswith("ws://")


def test_profile_2_connects_over_tls_and_boots(
        tmp_path: Path, mosquitto: Mosquitto, tls_csms: Csms,
        certificates: Certificates) -> None:
    tls_csms.start()
    charger = tls_charger(tmp_path, mosquitto, tls_csms, certificates, 2)
    with charger.run():
        tls_csms.wait("BootNotification")
        tls_csms.wait("Heartbeat")
    assert tls_csms.url.startswith("wss://") and tls_csms.paths[0] == "/cp001"
    assert tls_csms.authorizations[0] == BASIC
    assert tls_csms.client_subjects == []  # profile 2 shows no certificate


def test_profile_2_does_not_trust_a_csms_of_another_ca_and_says_so_later(
        tmp_path: Path, mosquitto: Mosquitto, tls_csms: Csms,
        certificates: Certificates) -> None:
    tls_csms.tls = certificates.server_context(foreign=True)
    tls_csms.start()
    charger = tls_charger(tmp_path, mosquitto, tls_csms, certificates, 2)
    with charger.run():
        refused_twice(tls_csms)
        tls_csms.stop()
        tls_csms.tls = certificates.server_context()
        tls_csms.start()
        event = tls_csms.wait("SecurityEventNotification",
                              lambda p: p["type"] == "InvalidCentralSystemCertificate",
                              timeout=40)
    assert "unable to get local issuer certificate" in event["tech_info"]
    assert [a for a, _ in tls_csms.messages].index("BootNotification") == 0
    assert len([p for p in tls_csms.seen("SecurityEventNotification")
                if p["type"] == "InvalidCentralSystemCertificate"]) == 1  # once per outage


def test_profile_3_shows_the_charge_point_certificate(
        tmp_path: Path, mosquitto: Mosquitto, tls_csms: Csms,
        certificates: Certificates) -> None:
    tls_csms.tls = certificates.server_context(client_certs=True)
    tls_csms.start()
    charger = tls_charger(tmp_path, mosquitto, tls_csms, certificates, 3)
    with charger.run():
        tls_csms.wait("BootNotification")
    assert tls_csms.client_subjects[0] == {"commonName": "cp001"}
    assert tls_csms.authorizations[0] is None  # no Basic authentication in profile 3


def test_profile_3_without_a_charge_point_certificate_is_refused_by_the_csms(
        tmp_path: Path, mosquitto: Mosquitto, tls_csms: Csms,
        certificates: Certificates) -> None:
    tls_csms.tls = certificates.server_context(client_certs=True)
    tls_csms.start()
    charger = tls_charger(tmp_path, mosquitto, tls_csms, certificates, 3, client_cert=False)
    with charger.run():
        refused_twice(tls_csms)
    assert tls_csms.client_subjects == [] and tls_csms.authorizations == []


def test_a_tls_profile_without_evse_security_stops_the_module_with_a_reason(
        charger: Charger, csms: Csms, caplog: pytest.LogCaptureFixture) -> None:
    charger.security = {"SecurityProfile": 2, "AuthorizationKey": KEY}
    unwired = charger.config()
    del unwired["active_modules"]["ocpp"]["connections"]["security"]
    charger.config = lambda: unwired  # type: ignore[method-assign]
    ocpp = charger.tmp_path / "ocpp-config.json"  # libocpp's form: the profile picks wss://
    ocpp.write_text(ocpp.read_text().replace(csms.url, csms.url.split("://")[1]))
    with charger.run():
        wait_until(lambda: any("Security.SecurityProfile 2 needs the module ocpp's requirement "
                               "'security' connected" in r.getMessage()
                               for r in caplog.records), 10, "the module's reason")
    assert csms.paths == []
