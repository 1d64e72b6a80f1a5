"""Firmware and diagnostics through the ``system`` module (CbSystem: RAUC, log archives):
UpdateFirmware and GetDiagnostics (OCPP 1.6 §5.19, §5.9), and the security whitepaper's
SignedUpdateFirmware and GetLog.

The system module does the work and publishes each step (``firmware_update_status``,
``log_status``); they reach the CSMS as FirmwareStatusNotification / DiagnosticsStatusNotification
for the 1.6 requests, which carry request id -1 (chargebyte's convention), and as
SignedFirmwareStatusNotification / LogStatusNotification with the CSMS's request id otherwise.
Steps 1.6 has no word for are not reported to a 1.6 request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pycharge.modules.OCPP.answers import answer_of
from pycharge.runtime.module import Connection

UNSIGNED = -1  # the request id of UpdateFirmware and GetDiagnostics
FIRMWARE_16 = {"Downloaded": "Downloaded", "DownloadFailed": "DownloadFailed",
               "Downloading": "Downloading", "Idle": "Idle", "Installing": "Installing",
               "InstallRebooting": "Installing", "Installed": "Installed",
               "InstallationFailed": "InstallationFailed",
               "InstallVerificationFailed": "InstallationFailed",
               "InvalidSignature": "InstallationFailed"}
DIAGNOSTICS_16 = {"Idle": "Idle", "Uploaded": "Uploaded", "Uploading": "Uploading",
                  "BadMessage": "UploadFailed", "NotSupportedOperation": "UploadFailed",
                  "PermissionDenied": "UploadFailed", "UploadFailure": "UploadFailed"}
Send = Callable[[str, dict[str, Any]], None]


class Maintenance:
    def __init__(self, system: Connection, send: Send, log: logging.Logger) -> None:
        self.system, self.send, self.log = system, send, log
        self.firmware_status, self.diagnostics_status = "Idle", "Idle"
        system.subscribe("firmware_update_status", self._firmware)
        system.subscribe("log_status", self._log)

    # -- the CSMS's requests ---------------------------------------------------------------------
    def update_firmware(self, location: str, retrieve_date: str, retries: int | None,
                        retry_interval: int | None) -> Future:
        request = {"request_id": UNSIGNED, "location": location,
                   "retrieve_timestamp": retrieve_date, **_retrying(retries, retry_interval)}
        return answer_of(self.system.call_async("update_firmware",
                                              firmware_update_request=request),
                       lambda _status: {}, {}, self.log)

    def signed_update_firmware(self, request_id: int, firmware: dict[str, Any],
                               retries: int | None, retry_interval: int | None) -> Future:
        request = {"request_id": request_id, "location": firmware["location"],
                   "retrieve_timestamp": firmware["retrieve_date_time"],
                   "signing_certificate": firmware["signing_certificate"],
                   "signature": firmware["signature"], **_retrying(retries, retry_interval)}
        if firmware.get("install_date_time"):
            request["install_timestamp"] = firmware["install_date_time"]
        return answer_of(self.system.call_async("update_firmware",
                                              firmware_update_request=request),
                       lambda status: {"status": status}, {"status": "Rejected"}, self.log)

    def get_diagnostics(self, location: str, retries: int | None, retry_interval: int | None,
                        start_time: str | None, stop_time: str | None) -> Future:
        request = self._upload(location, "DiagnosticsLog", UNSIGNED, retries, retry_interval,
                               start_time, stop_time)
        return answer_of(self.system.call_async("upload_logs", upload_logs_request=request),
                       lambda answer: {"file_name": answer.get("file_name")}
                       if answer["upload_logs_status"] != "Rejected" else {}, {}, self.log)

    def get_log(self, log: dict[str, Any], log_type: str, request_id: int,
                retries: int | None, retry_interval: int | None) -> Future:
        request = self._upload(log["remote_location"], log_type, request_id, retries,
                               retry_interval, log.get("oldest_timestamp"),
                               log.get("latest_timestamp"))
        return answer_of(self.system.call_async("upload_logs", upload_logs_request=request),
                       lambda answer: {"status": answer["upload_logs_status"],
                                       **({"filename": answer["file_name"]}
                                          if answer.get("file_name") else {})},
                       {"status": "Rejected"}, self.log)

    @staticmethod
    def _upload(location: str, log_type: str, request_id: int, retries: int | None,
                retry_interval: int | None, oldest: str | None, latest: str | None
                ) -> dict[str, Any]:
        request: dict[str, Any] = {"location": location, "type": log_type,
                                   "request_id": request_id, **_retrying(retries, retry_interval)}
        if oldest:
            request["oldest_timestamp"] = oldest
        if latest:
            request["latest_timestamp"] = latest
        return request

    # -- the system module's steps ----------------------------------------------------------------
    def _firmware(self, update: dict[str, Any]) -> None:
        status, request_id = update["firmware_update_status"], update["request_id"]
        if request_id != UNSIGNED:
            self.send("SignedFirmwareStatusNotification",
                      {"status": status, "request_id": request_id})
        elif status in FIRMWARE_16:
            self.firmware_status = FIRMWARE_16[status]
            self.send("FirmwareStatusNotification", {"status": self.firmware_status})

    def _log(self, update: dict[str, Any]) -> None:
        status, request_id = update["log_status"], update["request_id"]
        if request_id != UNSIGNED:
            if status != "AcceptedCanceled":
                self.send("LogStatusNotification", {"status": status, "request_id": request_id})
        elif status in DIAGNOSTICS_16:
            self.diagnostics_status = DIAGNOSTICS_16[status]
            self.send("DiagnosticsStatusNotification", {"status": self.diagnostics_status})


def _retrying(retries: int | None, retry_interval: int | None) -> dict[str, int]:
    found = {}
    if retries:
        found["retries"] = retries
    if retry_interval is not None:
        found["retry_interval_s"] = retry_interval
    return found
