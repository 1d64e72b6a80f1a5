"""One log upload, on a thread of its own: collect, then HTTP PUT with retries.

The archive is built in a private temporary directory in the download directory (not RAM) and
removed at the end, whatever happened. Like ``curl -T file <location>/`` in chargebyte's script,
the file goes to ``<location>/<file name>``. Steps go out on ``log_status``: Uploading for each
attempt, then Uploaded or the failure of the last attempt (PermissionDenied, BadMessage,
NotSupportedOperation, UploadFailure), or AcceptedCanceled when a newer request took over.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pycharge.modules.CbSystem.downloader import Limits
from pycharge.modules.CbSystem.logs import LogSources, build_archive
from pycharge.modules.CbSystem.programs import Programs
from pycharge.modules.CbSystem.urls import http_client
from pycharge.runtime.clock import Clock, parse_rfc3339

UPLOADING, UPLOADED, UPLOAD_FAILURE = "Uploading", "Uploaded", "UploadFailure"
PERMISSION_DENIED, BAD_MESSAGE = "PermissionDenied", "BadMessage"
NOT_SUPPORTED, ACCEPTED_CANCELED = "NotSupportedOperation", "AcceptedCanceled"
# HTTP answers that say more than "failed" (chargebyte maps curl's exit codes the same way).
_HTTP_STATUS = {401: PERMISSION_DENIED, 403: PERMISSION_DENIED, 407: PERMISSION_DENIED,
                405: NOT_SUPPORTED, 501: NOT_SUPPORTED, 400: BAD_MESSAGE, 411: BAD_MESSAGE,
                414: BAD_MESSAGE, 415: BAD_MESSAGE}


@dataclass(frozen=True)
class LogRequest:
    """The fields of an UploadLogsRequest this module acts on."""

    location: str
    request_id: int = -1
    retries: int | None = None
    retry_interval: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogRequest:
        """Raise ValueError if a timestamp is not RFC 3339."""
        def moment(key: str) -> datetime | None:
            return parse_rfc3339(data[key]) if data.get(key) else None

        return cls(data["location"], int(data.get("request_id", -1)), data.get("retries"),
                   data.get("retry_interval_s"), moment("oldest_timestamp"),
                   moment("latest_timestamp"))


@dataclass(frozen=True)
class UploadSettings:
    work_dir: Path
    default_retries: int
    default_retry_interval: float
    limits: Limits
    sources: LogSources


class LogUpload:
    """Runs one request. :meth:`run` is the body of its thread; :meth:`cancel` may come from another."""

    def __init__(self, request: LogRequest, file_name: str, settings: UploadSettings,
                 programs: Programs, clock: Clock, publish: Callable[[str, int], None],
                 log: logging.Logger) -> None:
        self.request = request
        self.file_name = file_name
        self._settings = settings
        self._programs = programs
        self._clock = clock
        self._publish = publish
        self._log = log
        self._stop = threading.Event()
        self._cancelled = False
        self.done = False

    def cancel(self) -> None:
        """A newer request takes over: stop and report AcceptedCanceled."""
        self._cancelled = True
        self._stop.set()

    def abort(self) -> None:
        """The module stops: stop without a word."""
        self._stop.set()

    def run(self, previous: threading.Thread | None = None) -> None:
        if previous is not None:
            previous.join()
        try:
            with tempfile.TemporaryDirectory(dir=self._settings.work_dir, prefix=".logs.") as work:
                self._run(Path(work))
        except OSError as exc:
            self._log.error("log upload failed: %s", exc)
            self._status(UPLOAD_FAILURE)
        finally:
            self.done = True

    def _run(self, work: Path) -> None:
        settings, request = self._settings, self.request
        archive = work / self.file_name
        build_archive(archive, work, request.since, request.until, settings.sources,
                      self._programs, self._log)
        attempts = request.retries or settings.default_retries
        interval = max(0, request.retry_interval if request.retry_interval is not None
                       else settings.default_retry_interval)
        outcome = UPLOAD_FAILURE
        for attempt in range(1, attempts + 1):
            if self._stop.is_set():
                break
            self._status(UPLOADING)
            outcome = put_file(request.location, archive, settings.limits, self._stop)
            if outcome == UPLOADED or self._stop.is_set():
                break
            self._log.warning("log upload attempt %d of %d: %s", attempt, attempts, outcome)
            if attempt < attempts and self._clock.wait(self._stop, interval):
                break
        if self._cancelled:
            self._status(ACCEPTED_CANCELED)
        elif not self._stop.is_set():
            self._status(outcome)

    def _status(self, status: str) -> None:
        self._publish(status, self.request.request_id)


def put_file(location: str, path: Path, limits: Limits, stop: threading.Event) -> str:
    """PUT ``path`` to ``<location>/<its name>``; return the resulting LogStatusEnum value."""
    target = (location if location.endswith("/") else location + "/") + quote(path.name)
    size = path.stat().st_size
    with path.open("rb") as stream:
        body = _Body(stream, time.monotonic() + limits.total_timeout, stop)
        request = urllib.request.Request(target, data=body, method="PUT", headers={
            "Content-Type": "application/gzip", "Content-Length": str(size),
            "User-Agent": "pycharge-CbSystem"})
        try:
            with http_client().open(request, timeout=limits.connect_timeout) as response:
                return UPLOADED if 200 <= response.status < 300 else UPLOAD_FAILURE
        except urllib.error.HTTPError as exc:
            return _HTTP_STATUS.get(exc.code, UPLOAD_FAILURE)
        except urllib.error.URLError as exc:
            return _failure(exc.reason)
        except http.client.HTTPException:
            return BAD_MESSAGE
        except OSError as exc:
            return _failure(exc)


class _Body:
    """The file as http.client reads it, stopping at the deadline or when asked to."""

    def __init__(self, stream: Any, deadline: float, stop: threading.Event) -> None:
        self._stream = stream
        self._deadline = deadline
        self._stop = stop

    def read(self, size: int = -1) -> bytes:
        if self._stop.is_set() or time.monotonic() > self._deadline:
            raise TimeoutError("upload stopped: cancelled or over its time limit")
        return self._stream.read(size)


def _failure(reason: object) -> str:
    if isinstance(reason, ssl.SSLError):
        return PERMISSION_DENIED
    if isinstance(reason, socket.gaierror):
        return BAD_MESSAGE
    return UPLOAD_FAILURE
