"""One firmware update, from request to reboot, on a thread of its own.

Steps (each published on ``firmware_update_status`` with the request id):
[DownloadScheduled] → Downloading → Downloaded | DownloadFailed → (signed requests)
SignatureVerified | InvalidSignature → [InstallScheduled] → Installing → InstallRebooting |
InstallationFailed; after the reboot the module reports Installed or InstallationFailed from the
marker. A failed attempt is retried without publishing DownloadFailed, which is an end state.

Installation and reboot wait until no charging session is open. Until ``rauc install`` starts,
a newer request may cancel the update; from then on it runs to its end.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pycharge.modules.CbSystem.downloader import CancelledError, DownloadError, Limits, download
from pycharge.modules.CbSystem.marker import Marker, MarkerStore
from pycharge.modules.CbSystem.programs import Programs
from pycharge.modules.CbSystem.rauc import RaucStatus, parse_status
from pycharge.modules.CbSystem.signature import SignatureChecker
from pycharge.runtime.clock import Clock, parse_rfc3339, utc_now

IMAGE_NAME = "firmware-update.image"  # chargebyte's name, in the download directory
UNSIGNED_REQUEST_ID = -1  # chargebyte: request_id -1 is OCPP 1.6 UpdateFirmware, unsigned
POLL = 0.2  # seconds between looks at the charging sessions while waiting for them to end

DOWNLOAD_SCHEDULED, DOWNLOADING, DOWNLOADED = "DownloadScheduled", "Downloading", "Downloaded"
DOWNLOAD_FAILED, SIGNATURE_VERIFIED = "DownloadFailed", "SignatureVerified"
INVALID_SIGNATURE, INSTALL_SCHEDULED, INSTALLING = "InvalidSignature", "InstallScheduled", "Installing"
INSTALL_REBOOTING, INSTALLATION_FAILED, INSTALLED = "InstallRebooting", "InstallationFailed", "Installed"


class Phase(enum.Enum):
    PREPARING = "preparing"  # scheduled, downloading, verifying, waiting: may be cancelled
    INSTALLING = "installing"
    REBOOTING = "rebooting"
    DONE = "done"


@dataclass(frozen=True)
class FirmwareRequest:
    """The fields of a FirmwareUpdateRequest this module acts on."""

    request_id: int
    location: str
    retries: int | None = None
    retry_interval: int | None = None
    retrieve_at: datetime | None = None
    install_at: datetime | None = None
    certificate: str | None = None
    signature: str | None = None

    @property
    def signed(self) -> bool:
        return self.request_id != UNSIGNED_REQUEST_ID

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FirmwareRequest:
        """Raise ValueError if a timestamp is not RFC 3339."""
        def moment(key: str) -> datetime | None:
            return parse_rfc3339(data[key]) if data.get(key) else None

        return cls(int(data["request_id"]), data["location"], data.get("retries"),
                   data.get("retry_interval_s"), moment("retrieve_timestamp"),
                   moment("install_timestamp"), data.get("signing_certificate"),
                   data.get("signature"))


@dataclass(frozen=True)
class UpdateSettings:
    """What the module's configuration says about firmware updates."""

    download_dir: Path
    default_retries: int
    default_retry_interval: float
    limits: Limits
    rauc: str
    reboot: str
    install_timeout: float
    program_timeout: float
    reboot_delay: float


@dataclass(frozen=True)
class UpdateTools:
    """The system parts an update works with."""

    programs: Programs
    checker: SignatureChecker
    markers: MarkerStore
    clock: Clock
    no_session: threading.Event  # set while no charging session is open


class FirmwareUpdate:
    """Runs one request. :meth:`run` is the body of its thread; :meth:`cancel` may come from another."""

    def __init__(self, request: FirmwareRequest, settings: UpdateSettings, tools: UpdateTools,
                 publish: Callable[[str, int], None], log: logging.Logger) -> None:
        self.request = request
        self._settings = settings
        self._tools = tools
        self._publish = publish
        self._log = log
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.phase = Phase.PREPARING

    def cancel(self) -> bool:
        """Stop before the installation; False if the installation already started."""
        with self._lock:
            if self.phase in (Phase.INSTALLING, Phase.REBOOTING):
                return False
            self._stop.set()
            return True

    def abort(self) -> None:
        """The module stops: give up at the next occasion, even before the reboot."""
        self._stop.set()

    def run(self, previous: threading.Thread | None = None) -> None:
        if previous is not None:
            previous.join()  # a cancelled update gives up within one network timeout
        try:
            self._run()
        finally:
            self.phase = Phase.DONE

    # -- the steps ----------------------------------------------------------------------------------
    def _run(self) -> None:
        request = self.request
        if request.retrieve_at is not None and request.retrieve_at > utc_now():
            if request.signed:
                self._status(DOWNLOAD_SCHEDULED)
            if not self._wait_until(request.retrieve_at):
                return
        image = self._download()
        if image is None:
            return
        try:
            if request.signed and not self._verify(image):
                return
            if request.signed and request.install_at is not None and request.install_at > utc_now():
                self._status(INSTALL_SCHEDULED)
                if not self._wait_until(request.install_at):
                    return
            if not self._wait_for_no_session("installing") or not self._enter(Phase.INSTALLING):
                return
            installed = self._install(image)
        finally:
            image.unlink(missing_ok=True)
        if installed:
            self._reboot()

    def _download(self) -> Path | None:
        settings, request = self._settings, self.request
        (settings.download_dir / IMAGE_NAME).unlink(missing_ok=True)
        attempts = request.retries or settings.default_retries
        interval = max(0, request.retry_interval if request.retry_interval is not None
                       else settings.default_retry_interval)
        for attempt in range(1, attempts + 1):
            self._status(DOWNLOADING)
            try:
                image = download(request.location, settings.download_dir, IMAGE_NAME,
                                 settings.limits, self._stop)
                self._status(DOWNLOADED)
                return image
            except CancelledError:
                self._log.info("firmware download of request %d cancelled", request.request_id)
                return None
            except DownloadError as exc:
                self._log.warning("firmware download attempt %d of %d failed: %s", attempt,
                                  attempts, exc)
            if attempt < attempts and not self._wait(interval):
                return None
        if not self._stop.is_set():
            self._status(DOWNLOAD_FAILED)
        return None

    def _verify(self, image: Path) -> bool:
        request = self.request
        if self._tools.checker.verify(image, request.certificate or "", request.signature or ""):
            self._status(SIGNATURE_VERIFIED)
            return True
        self._log.error("firmware of request %d: the signature does not match the image",
                        request.request_id)
        self._status(INVALID_SIGNATURE)
        return False

    def _install(self, image: Path) -> bool:
        settings, tools = self._settings, self._tools
        before = self._rauc_status()
        target = before.inactive if before else None
        if target is None:
            self._log.error("cannot tell the slot to install to from `rauc status`")
            self._status(INSTALLATION_FAILED)
            return False
        try:
            tools.markers.write(Marker(target, self.request.request_id, tools.programs.boot_id()))
        except OSError as exc:
            self._log.error("cannot write the firmware-update marker: %s", exc)
            self._status(INSTALLATION_FAILED)
            return False
        self._status(INSTALLING)
        result = tools.programs.run([settings.rauc, "install", str(image)], settings.install_timeout)
        after = self._rauc_status()
        if result.ok and after is not None and after.activated_for_next_boot(target):
            self._log.info("firmware installed to %s; it runs after the reboot", target)
            return True
        self._log.error("rauc install failed (%s); %s stays the slot to boot", result.describe(),
                        before.booted if before else "the running slot")
        tools.markers.remove()
        self._status(INSTALLATION_FAILED)
        return False

    def _reboot(self) -> None:
        self._enter(Phase.REBOOTING, force=True)
        self._status(INSTALL_REBOOTING)
        if not self._wait(self._settings.reboot_delay) or not self._wait_for_no_session("rebooting"):
            self._log.warning("reboot into the new firmware left to the next start of the system")
            return
        result = self._tools.programs.run([self._settings.reboot], self._settings.program_timeout)
        if not result.ok:
            self._log.error("reboot failed (%s); the new firmware runs after the next reboot",
                            result.describe())

    # -- helpers -----------------------------------------------------------------------------------
    def _status(self, status: str) -> None:
        self._publish(status, self.request.request_id)

    def _enter(self, phase: Phase, force: bool = False) -> bool:
        with self._lock:
            if self._stop.is_set() and not force:
                return False
            self.phase = phase
            return True

    def _rauc_status(self) -> RaucStatus | None:
        result = self._tools.programs.run([self._settings.rauc, "status"],
                                          self._settings.program_timeout)
        if not result.ok:
            self._log.error("rauc status failed: %s", result.describe())
            return None
        return parse_status(result.stdout)

    def _wait(self, seconds: float) -> bool:
        """Wait; False if the update was cancelled or the module stops meanwhile."""
        return not self._tools.clock.wait(self._stop, max(0.0, seconds))

    def _wait_until(self, moment: datetime) -> bool:
        return self._wait((moment - utc_now()).total_seconds())

    def _wait_for_no_session(self, what: str) -> bool:
        if not self._tools.no_session.is_set():
            self._log.info("firmware of request %d: %s waits for the charging sessions to end",
                           self.request.request_id, what)
        while not self._tools.no_session.is_set():
            if self._tools.clock.wait(self._stop, POLL):
                return False
        return not self._stop.is_set()
