"""Firmware updates end to end: local HTTP server, real openssl, simulated rauc and reboot."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from pycharge.runtime.clock import rfc3339, utc_now
from tests.modules.system.bus import SystemBus
from tests.modules.system.conftest import BUNDLE_MAGIC, NOWHERE, Signer, SystemRig
from tests.modules.system.fileserver import FileServer, Route
from tests.support.waiting import wait_until

IMAGE = "firmware-update.image"
THE_IMAGE = b"<the test image>"  # a route body the test replaces by the image
HAPPY = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"]


def signed_request(file_server: FileServer, signer: Signer, data: bytes, request_id: int = 7,
                   path: str = "/fw/update.image", **extra: object) -> dict:
    file_server.routes.setdefault(path, Route(body=data))
    return {"location": file_server.url(path), "request_id": request_id,
            "signing_certificate": signer.certificate, "signature": signer.sign(data), **extra}


def update(bus: SystemBus, request: dict) -> str:
    return bus.call("update_firmware", firmware_update_request=request)


def assert_nothing_installed(rig: SystemRig) -> None:
    assert [argv for argv in rig.calls_of("rauc") if argv[1] != "status"] == []
    assert rig.calls_of("reboot") == []
    assert not (rig.state_dir / "firmware-update.marker").exists()


def test_a_signed_update_goes_through_every_step_and_is_installed_after_the_reboot(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes) -> None:
    request = signed_request(file_server, vendor, image)
    with rig.run() as bus:
        assert bus.call("get_boot_reason") == "PowerUp"
        assert update(bus, request) == "Accepted"
        assert bus.wait_end(7) == HAPPY
        bus.probe.wait_for(lambda _m: rig.calls_of("reboot"))
    assert [argv[1:] for argv in rig.calls_of("rauc")] == [
        ["status"], ["install", str(rig.download_dir / IMAGE)], ["status"]]
    assert rig.calls_of("reboot") == [[f"{NOWHERE}/reboot"]]
    assert [argv[1] for argv in rig.calls() if "openssl" in argv[0]] == ["x509", "x509", "dgst"]
    assert rig.leftovers() == []
    with rig.run() as bus:
        assert bus.wait_end(7) == ["Installed"]
        assert bus.call("get_boot_reason") == "FirmwareUpdate"
    assert not (rig.state_dir / "firmware-update.marker").exists()


def test_an_unsigned_update_is_installed_as_chargebyte_does_unless_signing_is_required(
        rig: SystemRig, file_server: FileServer, image: bytes, tmp_path: Path) -> None:
    file_server.routes["/plain.image"] = Route(body=image)
    request = {"location": file_server.url("/plain.image"), "request_id": -1}
    with rig.run() as bus:
        assert update(bus, request) == "Accepted"
        assert bus.wait_end(-1) == ["Downloading", "Downloaded", "Installing", "InstallRebooting"]
    rig.overrides["require_signed_firmware"] = True
    rig.write()
    with rig.run() as bus:
        assert update(bus, request) == "Rejected"


def test_a_wrong_signature_ends_in_invalid_signature_with_nothing_installed(
        rig: SystemRig, file_server: FileServer, vendor: Signer, intruder: Signer,
        image: bytes) -> None:
    request = signed_request(file_server, vendor, image)
    request["signature"] = intruder.sign(image)
    with rig.run() as bus:
        assert update(bus, request) == "Accepted"
        assert bus.wait_end(7) == ["Downloading", "Downloaded", "InvalidSignature"]
    assert_nothing_installed(rig)
    assert rig.leftovers() == []


def test_a_tampered_image_ends_in_invalid_signature(rig: SystemRig, file_server: FileServer,
                                                    vendor: Signer, image: bytes) -> None:
    request = signed_request(file_server, vendor, image)
    file_server.routes["/fw/update.image"] = Route(body=image[:-1] + b"\x00")
    with rig.run() as bus:
        update(bus, request)
        assert bus.wait_end(7)[-1] == "InvalidSignature"
    assert_nothing_installed(rig)


@pytest.mark.parametrize(("route", "overrides"), [
    (None, {}),  # 404
    (Route(status=500, body=THE_IMAGE), {}),
    (Route(behaviour="stall", body=THE_IMAGE), {}),  # silent for longer than connect_timeout
    (Route(behaviour="truncate", body=THE_IMAGE), {}),  # Content-Length larger than the body
    (Route(behaviour="trickle", body=BUNDLE_MAGIC * 40), {"download_timeout": 1}),
    (Route(body=BUNDLE_MAGIC * (256 * 1024 + 1)), {}),  # announced size over 1 MiB
    (Route(body=BUNDLE_MAGIC * (256 * 1024 + 1), behaviour="unsized"), {}),  # no length given
    (Route(body=b""), {}),
], ids=["404", "500", "stall", "truncated", "too-slow", "oversized", "oversized-unsized",
        "empty"])
def test_a_failed_download_ends_in_download_failed_and_leaves_nothing(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes,
        route: Route | None, overrides: dict) -> None:
    if route is not None:
        route.body = image if route.body == THE_IMAGE else route.body
        file_server.routes["/fw/bad.image"] = route
    request = signed_request(file_server, vendor, image, path="/fw/bad.image")
    if route is None:
        del file_server.routes["/fw/bad.image"]
    rig.overrides.update(overrides)
    with rig.run() as bus:
        assert update(bus, request) == "Accepted"
        assert bus.wait_end(7) == ["Downloading", "DownloadFailed"]
        assert rig.leftovers() == []
    assert_nothing_installed(rig)
    assert [argv[1] for argv in rig.calls()] == ["x509"]  # the certificate check, nothing else


def test_failed_attempts_are_retried_without_reporting_an_end_state(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes) -> None:
    file_server.routes["/fw/update.image"] = Route(body=image, failures=2)
    request = signed_request(file_server, vendor, image, retries=3, retry_interval_s=0)
    with rig.run() as bus:
        update(bus, request)
        assert bus.wait_end(7) == ["Downloading"] * 3 + HAPPY[1:]


@pytest.mark.parametrize("location", [
    "ftp://127.0.0.1/fw.image",
    "file:///etc/passwd",
    "http://127.0.0.1:{port}/fw/`reboot`.image",
    "http://127.0.0.1:{port}/fw/a b;reboot",
    "http://127.0.0.1:{port}/fw/x|reboot",
    "http://127.0.0.1:{port}/fw/../../etc/shadow",
    "http://127.0.0.1:{port}/fw/%2e%2E/etc/shadow",
    "http://127.0.0.1:{port}/fw/x\nreboot",
    "http://127.0.0.1:{port}/fw/%00.image",
    "http://127.0.0.1:{port}/fw/%zz.image",
    "http://user:secret@127.0.0.1:{port}/fw.image",
    "http:///fw.image",
    "http://127.0.0.1:99999/fw.image",
    "",
])
def test_a_location_that_is_no_plain_http_url_is_rejected_and_nothing_runs(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes,
        location: str) -> None:
    request = signed_request(file_server, vendor, image)
    request["location"] = location.format(port=file_server.port)
    with rig.run() as bus:
        assert update(bus, request) == "Rejected"
        assert bus.statuses("firmware_update_status", 7) == []
    assert rig.calls() == []
    assert file_server.received == []


def test_shell_characters_a_url_may_carry_are_only_data(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes) -> None:
    path = "/fw/$(reboot);touch$IFS'pwned'&&x=(1)*!"
    request = signed_request(file_server, vendor, image, path="/fw/other.image")
    request["location"] = file_server.url(path)
    with rig.run() as bus:
        assert update(bus, request) == "Accepted"
        assert bus.wait_end(7) == ["Downloading", "DownloadFailed"]  # the server has no such file
    assert [r.path for r in file_server.received] == [path]
    assert_nothing_installed(rig)
    assert not any(p.name == "pwned" for p in rig.root.rglob("*"))


def test_names_from_the_url_or_the_server_never_choose_where_the_file_goes(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes,
        tmp_path: Path) -> None:
    path = "/fw/..%2F..%2Fescaped.image"
    file_server.routes[path] = Route(body=image, headers={
        "Content-Disposition": 'attachment; filename="../../escaped.image"'})
    request = signed_request(file_server, vendor, image, path=path)
    with rig.run() as bus:
        assert update(bus, request) == "Accepted"
        assert bus.wait_end(7) == HAPPY
    assert [argv[2] for argv in rig.calls_of("rauc") if argv[1] == "install"] == [
        str(rig.download_dir / IMAGE)]
    assert not any("escaped" in p.name for p in tmp_path.parent.rglob("*"))
    assert not Path("escaped.image").exists()


def test_a_newer_signed_request_cancels_a_running_download(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes) -> None:
    file_server.routes["/fw/slow.image"] = Route(body=image, behaviour="stall")
    first = signed_request(file_server, vendor, image, request_id=1, path="/fw/slow.image")
    second = signed_request(file_server, vendor, image, request_id=2)
    with rig.run() as bus:
        assert update(bus, first) == "Accepted"
        bus.wait_for_status(1, "Downloading")
        assert update(bus, {"location": second["location"], "request_id": -1}) == "Rejected"
        assert update(bus, second) == "AcceptedCanceled"
        assert bus.wait_end(2) == HAPPY
        assert bus.statuses("firmware_update_status", 1) == ["Downloading"]
    assert len([argv for argv in rig.calls_of("rauc") if argv[1] == "install"]) == 1


def test_an_image_rauc_refuses_ends_in_installation_failed_and_no_reboot(
        rig: SystemRig, file_server: FileServer, vendor: Signer) -> None:
    not_a_bundle = b"not a RAUC bundle" * 100
    request = signed_request(file_server, vendor, not_a_bundle)
    with rig.run() as bus:
        update(bus, request)
        assert bus.wait_end(7) == [*HAPPY[:-1], "InstallationFailed"]
    assert rig.calls_of("reboot") == []
    assert not (rig.state_dir / "firmware-update.marker").exists()
    assert rig.leftovers() == []


def test_scheduled_download_and_installation_wait_for_their_time(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes) -> None:
    request = signed_request(file_server, vendor, image)
    with rig.run() as bus:
        soon = utc_now() + timedelta(seconds=2)  # after the (possibly slow) start of the stack
        request["retrieve_timestamp"] = rfc3339(soon)
        request["install_timestamp"] = rfc3339(soon + timedelta(seconds=1))
        update(bus, request)
        assert bus.wait_end(7) == ["DownloadScheduled", "Downloading", "Downloaded",
                                   "SignatureVerified", "InstallScheduled", "Installing",
                                   "InstallRebooting"]
    assert utc_now() >= soon + timedelta(seconds=1)


def test_certificates_are_checked_before_anything_is_fetched(
        rig: SystemRig, file_server: FileServer, vendor: Signer, intruder: Signer,
        image: bytes) -> None:
    rig.overrides["firmware_ca_file"] = str(vendor.certificate_path)
    with rig.run() as bus:
        garbage = signed_request(file_server, vendor, image, request_id=1)
        garbage["signing_certificate"] = "-----BEGIN CERTIFICATE-----\nnonsense\n"
        assert update(bus, garbage) == "InvalidCertificate"
        untrusted = signed_request(file_server, intruder, image, request_id=2)
        assert update(bus, untrusted) == "InvalidCertificate"
        unsigned = signed_request(file_server, vendor, image, request_id=3)
        del unsigned["signature"]
        assert update(bus, unsigned) == "Rejected"
        assert file_server.received == []
        assert update(bus, signed_request(file_server, vendor, image, request_id=4)) == "Accepted"
        assert bus.wait_end(4) == HAPPY


def test_installation_and_reboot_wait_until_no_session_is_open(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    rig.with_evse = True
    request = signed_request(file_server, vendor, image)
    with rig.run() as bus:
        session_topic = bus.topics.var("evse", "evse", "session_event")

        def session(event: str) -> None:
            bus.probe.publish(session_topic, json.dumps({"data": {
                "uuid": str(uuid.uuid4()), "timestamp": rfc3339(), "event": event}}))

        session("SessionStarted")
        assert update(bus, request) == "Accepted"
        wait_until(lambda: "waits for the charging sessions" in caplog.text, what="waiting")
        with pytest.raises(AssertionError):  # absence can only be shown over some time
            bus.wait_for_status(7, "Installing", timeout=1.0)
        assert [a for a in rig.calls_of("rauc") if a[1] == "install"] == []
        assert bus.statuses("firmware_update_status", 7) == HAPPY[:3]
        session("SessionFinished")
        assert bus.wait_end(7) == HAPPY


def test_a_reboot_into_the_old_slot_reports_installation_failed(
        rig: SystemRig, file_server: FileServer, vendor: Signer, image: bytes) -> None:
    with rig.run() as bus:
        update(bus, signed_request(file_server, vendor, image))
        bus.wait_end(7)
        bus.probe.wait_for(lambda _m: rig.calls_of("reboot"))
    state_file = rig.state_dir / "simulated-system.json"
    state = json.loads(state_file.read_text())
    state["booted"] = state["activated"] = "rootfs.0"  # the bootloader fell back
    state_file.write_text(json.dumps(state))
    with rig.run() as bus:
        assert bus.wait_end(7) == ["InstallationFailed"]
        assert bus.call("get_boot_reason") == "FirmwareUpdate"


def test_a_restart_without_reboot_keeps_the_marker_for_the_next_boot(rig: SystemRig) -> None:
    with rig.run() as bus:
        bus.call("get_boot_reason")
    boot_id = json.loads((rig.state_dir / "simulated-system.json").read_text())["boot_id"]
    marker = rig.state_dir / "firmware-update.marker"
    marker.write_text(json.dumps({"slot": "rootfs.1", "request_id": 9, "boot_id": boot_id}))
    (rig.download_dir / f".{IMAGE}.x1y2.part").write_bytes(b"half an image")
    with rig.run() as bus:
        assert bus.call("get_boot_reason") == "PowerUp"
        assert bus.statuses("firmware_update_status", 9) == []
    assert marker.exists()
    assert rig.leftovers() == []
