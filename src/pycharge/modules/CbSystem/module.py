"""CbSystem: the system interface on Charge Control C — firmware update through RAUC, log
upload, reset, system time and boot reason, as chargebyte's CbSystem (chargebyte.md §7).

Commands answer at once; downloads, installations and uploads run on threads of their own and
report each step on ``firmware_update_status`` / ``log_status``. Every program runs from its
configured path with an argument list and a timeout (programs.py); ``simulate_system_commands``
swaps the ones that change the system for recording simulations (simulated.py).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from pycharge.modules.CbSystem.downloader import Limits, remove_partial_files
from pycharge.modules.CbSystem.firmware import (
    IMAGE_NAME,
    INSTALLATION_FAILED,
    INSTALLED,
    FirmwareRequest,
    FirmwareUpdate,
    Phase,
    UpdateSettings,
    UpdateTools,
)
from pycharge.modules.CbSystem.logs import LogSources, archive_name
from pycharge.modules.CbSystem.marker import Marker, MarkerStore
from pycharge.modules.CbSystem.programs import Programs
from pycharge.modules.CbSystem.rauc import parse_status
from pycharge.modules.CbSystem.reset import Reset
from pycharge.modules.CbSystem.settime import TimeSetter
from pycharge.modules.CbSystem.signature import CertificateError, SignatureChecker
from pycharge.modules.CbSystem.simulated import SimulatedPrograms
from pycharge.modules.CbSystem.upload import LogRequest, LogUpload, UploadSettings
from pycharge.modules.CbSystem.urls import LocationError, check_location
from pycharge.runtime.clock import utc_now
from pycharge.runtime.module import Implementation, Module

ACCEPTED, REJECTED, ACCEPTED_CANCELED = "Accepted", "Rejected", "AcceptedCanceled"
INVALID_CERTIFICATE = "InvalidCertificate"
SESSION_STARTED, SESSION_FINISHED = "SessionStarted", "SessionFinished"
MIB = 1024 * 1024


class System(Implementation):
    """The ``system`` interface: each command hands over to the module."""

    module: CbSystem

    def update_firmware(self, firmware_update_request: dict[str, Any]) -> str:
        return self.module.start_firmware_update(firmware_update_request)

    def allow_firmware_installation(self) -> None:
        """Nothing to allow: installation waits for the charging sessions by itself."""

    def upload_logs(self, upload_logs_request: dict[str, Any]) -> dict[str, Any]:
        return self.module.start_log_upload(upload_logs_request)

    def is_reset_allowed(self, type: str) -> bool:
        return not self.module.installing()

    def reset(self, type: str, scheduled: bool) -> None:
        self.module.resetter.request(type, scheduled, self.module.config["reset_delay"])

    def set_system_time(self, timestamp: str) -> bool:
        return self.module.time_setter.set(timestamp)

    def get_boot_reason(self) -> str:
        return self.module.boot_reason


class CbSystem(Module):
    implementations: ClassVar[Mapping[str, type[Implementation]]] = {"main": System}

    def init(self) -> None:
        config = self.config
        self.state_dir = Path(config["state_dir"])
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.download_dir = Path(config["download_dir"])
        self.programs: Programs = (
            SimulatedPrograms(self.state_dir, config["rauc_path"], config["reboot_path"],
                              config["timedatectl_path"])
            if config["simulate_system_commands"] else Programs())
        self.markers = MarkerStore(self.state_dir)
        self.checker = SignatureChecker(self.programs, config["openssl_path"],
                                        config["program_timeout"], self.download_dir,
                                        config["firmware_ca_file"])
        self.time_setter = TimeSetter(self.programs, config["timedatectl_path"],
                                      config["program_timeout"], config["min_time_deviation"],
                                      self.log)
        self.resetter = Reset(self.programs, config["reboot_path"], config["program_timeout"],
                              self.call_later, self.spawn, self.installing, self.log)
        limits = Limits(config["max_download_size_MB"] * MIB, config["connect_timeout"],
                        config["download_timeout"])
        self.update_settings = UpdateSettings(
            self.download_dir, config["default_retries"], config["default_retry_interval"],
            limits, config["rauc_path"], config["reboot_path"], config["install_timeout"],
            config["program_timeout"], config["reset_delay"])
        self.upload_settings = UploadSettings(
            self.download_dir, config["default_retries"], config["default_retry_interval"],
            limits, LogSources(config["journalctl_path"], Path(config["log_dir"]),
                               config["rauc_path"], config["program_timeout"]))
        self.no_session = threading.Event()
        self.no_session.set()
        self._open_sessions: set[str] = set()
        for evse in self.connections("evse_manager"):
            evse.subscribe("session_event", partial(self._on_session_event, evse.module_id))
        self.firmware_job: FirmwareUpdate | None = None
        self.firmware_thread: threading.Thread | None = None
        self.log_job: LogUpload | None = None
        self.log_thread: threading.Thread | None = None
        if self.download_dir.is_dir():
            for path in remove_partial_files(self.download_dir, IMAGE_NAME):
                self.log.warning("removed %s, left by an interrupted download", path)
        self.pending_marker = self._marker_of_earlier_boot()
        self.boot_reason = "FirmwareUpdate" if self.pending_marker else "PowerUp"

    def ready(self) -> None:
        if self.pending_marker is not None:
            self.spawn("firmware-result", partial(self._report_update, self.pending_marker))

    def shutdown(self) -> None:
        self._abort_jobs()

    def safe_state(self) -> None:
        """The module died or hung: its threads must not carry on beside a new instance."""
        self._abort_jobs()

    def _abort_jobs(self) -> None:
        for job in (getattr(self, "firmware_job", None), getattr(self, "log_job", None)):
            if job is not None:
                job.abort()

    # -- firmware ---------------------------------------------------------------------------------
    def start_firmware_update(self, data: dict[str, Any]) -> str:
        """Check the request, cancel a running update if that is allowed, start the new one."""
        try:
            request = FirmwareRequest.from_json(data)
            check_location(request.location)
        except (LocationError, ValueError, TypeError) as exc:
            self.log.error("firmware update rejected: %s", exc)
            return REJECTED
        job = self.firmware_job
        current = job if job is not None and job.phase is not Phase.DONE else None
        refusal = self._firmware_refusal(request, current)
        if refusal is not None:
            return refusal
        answer = ACCEPTED
        if current is not None:
            if not current.cancel():
                return REJECTED
            answer = ACCEPTED_CANCELED
        tools = UpdateTools(self.programs, self.checker, self.markers, self.clock, self.no_session)
        job = FirmwareUpdate(request, self.update_settings, tools,
                             partial(self.submit, self._publish_firmware), self.log)
        previous, self.firmware_job = self.firmware_thread, job
        self.firmware_thread = self.spawn(f"firmware-{request.request_id}",
                                          partial(job.run, previous))
        self.log.info("firmware update %d from %s: %s", request.request_id, request.location,
                      answer)
        return answer

    def _firmware_refusal(self, request: FirmwareRequest, current: FirmwareUpdate | None
                          ) -> str | None:
        """The answer that refuses ``request`` (and why, in the log), or None to go ahead.

        As chargebyte: an unsigned request is refused while any update runs, a signed one only
        once the running update installs (before that it cancels it).
        """
        reason = None
        if not self.download_dir.is_dir():
            reason = f"{self.download_dir} is not a directory"
        elif not request.signed and self.config["require_signed_firmware"]:
            reason = "unsigned updates are not allowed"
        elif current is not None and (not request.signed or current.phase is not Phase.PREPARING):
            reason = f"update {current.request.request_id} is {current.phase.value}"
        elif request.signed and not (request.certificate and request.signature):
            reason = "the signing certificate or the signature is missing"
        if reason is not None:
            self.log.error("firmware update %d rejected: %s", request.request_id, reason)
            return REJECTED
        if request.signed:
            try:
                self.checker.check_certificate(request.certificate or "")
            except CertificateError as exc:
                self.log.error("firmware update %d: %s", request.request_id, exc)
                return INVALID_CERTIFICATE
        return None

    def installing(self) -> bool:
        job = self.firmware_job
        return job is not None and job.phase is Phase.INSTALLING

    def _publish_firmware(self, status: str, request_id: int) -> None:
        self.impl["main"].publish("firmware_update_status",
                                  {"firmware_update_status": status, "request_id": request_id})

    def _marker_of_earlier_boot(self) -> Marker | None:
        """The marker, if the system booted since it was written (else an update is under way)."""
        marker = self.markers.read()
        if marker is not None and marker.boot_id == self.programs.boot_id():
            self.log.warning("firmware update %d was interrupted before its reboot; its result "
                             "is reported after the next boot", marker.request_id)
            return None
        return marker

    def _report_update(self, marker: Marker) -> None:
        """After the reboot: did we boot the slot the update went to?"""
        result = self.programs.run([self.config["rauc_path"], "status"],
                                   self.config["program_timeout"])
        booted = parse_status(result.stdout).booted if result.ok else None
        if booted == marker.slot:
            self.log.info("firmware update %d installed: running from %s", marker.request_id,
                          booted)
            status = INSTALLED
        else:
            self.log.error("firmware update %d failed: expected to run from %s, running from %s",
                           marker.request_id, marker.slot, booted or "an unknown slot")
            status = INSTALLATION_FAILED
        self.markers.remove()
        self.submit(self._publish_firmware, status, marker.request_id)

    # -- logs ---------------------------------------------------------------------------------------
    def start_log_upload(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            request = LogRequest.from_json(data)
            check_location(request.location)
        except (LocationError, ValueError, TypeError) as exc:
            self.log.error("log upload rejected: %s", exc)
            return {"upload_logs_status": REJECTED}
        if not self.download_dir.is_dir():
            self.log.error("log upload rejected: %s is not a directory", self.download_dir)
            return {"upload_logs_status": REJECTED}
        file_name = archive_name(data.get("type"), utc_now())
        answer = ACCEPTED
        if self.log_job is not None and not self.log_job.done:
            self.log_job.cancel()
            answer = ACCEPTED_CANCELED
        job = LogUpload(request, file_name, self.upload_settings, self.programs, self.clock,
                        partial(self.submit, self._publish_log), self.log)
        previous, self.log_job = self.log_thread, job
        self.log_thread = self.spawn(f"logs-{request.request_id}", partial(job.run, previous))
        return {"upload_logs_status": answer, "file_name": file_name}

    def _publish_log(self, status: str, request_id: int) -> None:
        self.impl["main"].publish("log_status", {"log_status": status, "request_id": request_id})

    # -- charging sessions ----------------------------------------------------------------------------
    def _on_session_event(self, module_id: str, event: dict[str, Any]) -> None:
        """Installation and reboot wait while any EVSE has a session open."""
        kind = event.get("event")
        if kind == SESSION_STARTED:
            self._open_sessions.add(module_id)
        elif kind == SESSION_FINISHED:
            self._open_sessions.discard(module_id)
        if self._open_sessions:
            self.no_session.clear()
        else:
            self.no_session.set()
