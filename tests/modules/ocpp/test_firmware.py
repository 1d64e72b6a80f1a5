"""UpdateFirmware, GetDiagnostics and the whitepaper's GetLog through CbSystem (simulated
programs) with a real local HTTP server: each step reaches the CSMS as its status
notification, and TriggerMessage repeats the latest one."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from ocpp.v16 import call

from tests.modules.ocpp.conftest import Charger
from tests.modules.ocpp.csms import Csms
from tests.modules.system.fileserver import FileServer, Route
from tests.support.waiting import wait_until


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.close()


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace(
        "+00:00", "Z")


def statuses(csms: Csms, action: str) -> list[str]:
    return [p["status"] for p in csms.seen(action)]


def test_a_firmware_download_that_fails_is_reported(charger: Charger, csms: Csms,
                                                    file_server: FileServer) -> None:
    with charger.run():
        csms.wait("BootNotification")
        csms.call(call.UpdateFirmware(location=file_server.url("/missing.image"),
                                      retrieve_date=now(), retries=1, retry_interval=0))
        wait_until(lambda: "DownloadFailed" in statuses(csms, "FirmwareStatusNotification"),
                   15, "DownloadFailed")
        assert statuses(csms, "FirmwareStatusNotification")[0] == "Downloading"
        assert csms.call(call.TriggerMessage(requested_message="FirmwareStatusNotification")
                         ).status == "Accepted"
        wait_until(lambda: statuses(csms, "FirmwareStatusNotification")[-2:] == [
            "DownloadFailed", "DownloadFailed"], 10, "the status again")


def test_diagnostics_and_a_security_log_are_uploaded(charger: Charger, csms: Csms,
                                                     file_server: FileServer) -> None:
    file_server.routes["/upload/"] = Route(status=201)
    with charger.run():
        (charger.tmp_path / "system" / "logs" / "charger.log").write_text("session 1\n")
        csms.wait("BootNotification")
        answer = csms.call(call.GetDiagnostics(location=file_server.url("/upload/")))
        assert answer.file_name.startswith("DiagnosticsLog_")
        wait_until(lambda: "Uploaded" in statuses(csms, "DiagnosticsStatusNotification"), 15,
                   "Uploaded")
        assert statuses(csms, "DiagnosticsStatusNotification") == ["Uploading", "Uploaded"]
        assert [r.path for r in file_server.received] == [f"/upload/{answer.file_name}"]
        log = csms.call(call.GetLog(log={"remoteLocation": file_server.url("/upload/")},
                                    log_type="SecurityLog", request_id=5))
        assert log.status == "Accepted" and log.filename
        wait_until(lambda: any(p == {"status": "Uploaded", "request_id": 5}
                               for p in csms.seen("LogStatusNotification")), 15, "Uploaded")
