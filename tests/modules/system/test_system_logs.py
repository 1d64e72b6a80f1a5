"""Log uploads end to end: archive built from the log directory, HTTP PUT to a local server."""

from __future__ import annotations

import io
import os
import re
import tarfile
import time
from datetime import timedelta

import pytest

from pycharge.runtime.clock import rfc3339, utc_now
from tests.conftest import free_port
from tests.modules.system.bus import SystemBus
from tests.modules.system.conftest import SystemRig
from tests.modules.system.fileserver import FileServer, Route
from tests.support import host_tools
from tests.support.waiting import wait_until

NAME = re.compile(r"^diagnostics_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.tar\.gz$")


def upload(bus: SystemBus, **request: object) -> dict:
    return bus.call("upload_logs", upload_logs_request=request)


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_logs_of_the_window_are_uploaded_with_put(rig: SystemRig,
                                                  file_server: FileServer) -> None:
    (rig.log_dir / "charger.log").write_text("session 1 started\n")
    (rig.log_dir / "sub").mkdir()
    (rig.log_dir / "sub" / "ocpp.log").write_text("BootNotification\n")
    old = rig.log_dir / "last-year.log"
    old.write_text("long ago\n")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    (rig.log_dir / "outside").symlink_to("/etc/hostname")
    file_server.routes["/upload/"] = Route(status=201)
    with rig.run() as bus:
        answer = upload(bus, location=file_server.url("/upload"), request_id=3,
                        oldest_timestamp=rfc3339(utc_now() - timedelta(hours=1)))
        assert answer["upload_logs_status"] == "Accepted"
        assert NAME.match(answer["file_name"])
        assert bus.wait_end(3, "log_status") == ["Uploading", "Uploaded"]
    [put] = file_server.received
    assert put.method == "PUT"
    assert put.path == f"/upload/{answer['file_name']}"
    content = members(put.body)
    assert content["logs/charger.log"] == b"session 1 started\n"
    assert content["logs/sub/ocpp.log"] == b"BootNotification\n"
    assert b"[rootfs.0]" in content["rauc-status.txt"]
    assert set(content) == {"logs/charger.log", "logs/sub/ocpp.log", "rauc-status.txt"}
    assert rig.leftovers() == []


@pytest.mark.parametrize(("status", "outcome"), [
    (403, "PermissionDenied"), (401, "PermissionDenied"), (500, "UploadFailure"),
    (405, "NotSupportedOperation"), (400, "BadMessage")])
def test_a_refused_upload_ends_in_the_matching_status_after_every_retry(
        rig: SystemRig, file_server: FileServer, status: int, outcome: str) -> None:
    file_server.routes["/upload/"] = Route(status=status)
    with rig.run() as bus:
        answer = upload(bus, location=file_server.url("/upload/"), request_id=4, retries=2,
                        retry_interval_s=0)
        assert answer["upload_logs_status"] == "Accepted"
        assert bus.wait_end(4, "log_status") == ["Uploading", "Uploading", outcome]
    assert len(file_server.received) == 2
    assert rig.leftovers() == []


def test_an_unreachable_server_ends_in_upload_failure(rig: SystemRig) -> None:
    with rig.run() as bus:
        upload(bus, location=f"http://127.0.0.1:{free_port()}/upload", request_id=5)
        assert bus.wait_end(5, "log_status") == ["Uploading", "UploadFailure"]
    assert rig.leftovers() == []


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/logs", "file:///tmp/x",
                                      "http://127.0.0.1:1/a b", "http://u:p@127.0.0.1/logs"])
def test_a_bad_location_is_rejected(rig: SystemRig, location: str) -> None:
    with rig.run() as bus:
        assert upload(bus, location=location, request_id=6) == {"upload_logs_status": "Rejected"}
        assert bus.statuses("log_status", 6) == []
    assert rig.calls() == []


def test_the_log_type_cannot_steer_the_file_name(rig: SystemRig,
                                                 file_server: FileServer) -> None:
    file_server.routes["/upload/"] = Route(status=200)
    with rig.run() as bus:
        escape = upload(bus, location=file_server.url("/upload/"), request_id=7,
                        type="../../../etc/cron.d/x")
        assert NAME.match(escape["file_name"])
        bus.wait_end(7, "log_status")
        security = upload(bus, location=file_server.url("/upload/"), request_id=8,
                          type="SecurityLog")
        assert security["file_name"].startswith("SecurityLog_")
        assert bus.wait_end(8, "log_status")[-1] == "Uploaded"
    assert [r.path.rsplit("/", 1)[1] for r in file_server.received] == [
        escape["file_name"], security["file_name"]]


def test_a_newer_request_cancels_the_running_upload(rig: SystemRig,
                                                   file_server: FileServer) -> None:
    file_server.routes["/upload/"] = Route(status=500)
    with rig.run() as bus:
        upload(bus, location=file_server.url("/upload/"), request_id=1, retries=5,
               retry_interval_s=30)
        wait_until(lambda: file_server.received, what="the first attempt")
        file_server.routes["/upload/"] = Route(status=201)
        answer = upload(bus, location=file_server.url("/upload/"), request_id=2)
        assert answer["upload_logs_status"] == "AcceptedCanceled"
        assert bus.wait_end(1, "log_status") == ["Uploading", "AcceptedCanceled"]
        assert bus.wait_end(2, "log_status") == ["Uploading", "Uploaded"]


def test_the_journal_is_taken_when_journalctl_is_there(rig: SystemRig,
                                                       file_server: FileServer) -> None:
    journalctl = host_tools.find("journalctl")
    if journalctl is None:
        pytest.skip("journalctl is not installed on this machine")
    rig.overrides["journalctl_path"] = journalctl
    file_server.routes["/upload/"] = Route(status=201)
    (rig.log_dir / "charger.log").write_text("not needed when there is a journal\n")
    since, until = utc_now() - timedelta(minutes=5), utc_now()
    with rig.run() as bus:
        upload(bus, location=file_server.url("/upload/"), request_id=9,
               oldest_timestamp=rfc3339(since), latest_timestamp=rfc3339(until))
        assert bus.wait_end(9, "log_status")[-1] == "Uploaded"
    assert set(members(file_server.received[0].body)) == {"journal.txt", "rauc-status.txt"}
    [call] = [argv for argv in rig.calls() if argv[0] == journalctl]
    assert call[1:] == ["--no-pager", "--utc", "--output=short-iso-precise",
                        f"--since=@{int(since.timestamp())}",
                        f"--until=@{int(until.timestamp()) + 1}"]
