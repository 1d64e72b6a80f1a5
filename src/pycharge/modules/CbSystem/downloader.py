"""Downloading one file into the download directory, whole or not at all.

The module alone chooses the file's name: nothing from the URL or the server's headers
(Content-Disposition and the like) ever reaches a path. Bytes go to a temporary file next to the
target, which is fsync'd and renamed only when every byte announced has arrived within the size
and time limits; on any failure or cancellation the temporary file is removed.
"""

from __future__ import annotations

import http.client
import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pycharge.modules.CbSystem.urls import LocationError, check_location, http_client
from pycharge.runtime.durable_files import fsync_directory

CHUNK = 64 * 1024
PARTIAL_SUFFIX = ".part"
USER_AGENT = "pycharge-CbSystem"


class DownloadError(Exception):
    """The download failed; the message says why."""


class CancelledError(Exception):
    """The download was cancelled (a newer request, or the module stops)."""


@dataclass(frozen=True)
class Limits:
    """How long and how large a transfer may be."""

    max_bytes: int
    connect_timeout: float  # to connect, and the longest silence while receiving
    total_timeout: float  # for the whole attempt


def download(url: str, directory: Path, name: str, limits: Limits,
             cancel: threading.Event) -> Path:
    """Fetch ``url`` into ``directory/name`` and return that path.

    Raise :class:`DownloadError` or :class:`CancelledError`; either way no file of this download
    is left behind.
    """
    if os.path.basename(name) != name or name in ("", ".", ".."):
        raise ValueError(f"'{name}' is not a plain file name")
    try:
        check_location(url)
    except LocationError as exc:
        raise DownloadError(str(exc)) from None
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.",
                                                 suffix=PARTIAL_SUFFIX)
    except OSError as exc:
        raise DownloadError(f"cannot create a file in {directory}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as out:
            _receive(url, out, directory, limits, cancel)
            out.flush()
            os.fsync(out.fileno())
        target = directory / name
        os.replace(temporary, target)
        fsync_directory(directory)
        return target
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise DownloadError(f"cannot store the file: {exc.strerror or exc}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_partial_files(directory: Path, name: str) -> list[Path]:
    """Delete what an interrupted download of ``name`` left (power cut, crash)."""
    removed = []
    for path in directory.glob(f".{name}.*{PARTIAL_SUFFIX}"):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _receive(url: str, out: BinaryIO, directory: Path, limits: Limits,
             cancel: threading.Event) -> None:
    deadline = time.monotonic() + limits.total_timeout
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with http_client().open(request, timeout=limits.connect_timeout) as response:
            announced = _content_length(response.headers.get("Content-Length"))
            if announced is not None:
                _check_room(announced, directory, limits)
            received = 0
            while True:
                if cancel.is_set():
                    raise CancelledError()
                if time.monotonic() > deadline:
                    raise DownloadError(f"not complete after {limits.total_timeout:g} s")
                chunk = response.read1(CHUNK)  # what has arrived: deadlines stay checked
                if not chunk:
                    break
                received += len(chunk)
                if received > limits.max_bytes:
                    raise DownloadError(f"larger than the limit of {limits.max_bytes} bytes")
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"cannot fetch: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"transfer failed: {type(exc).__name__}: {exc}") from None
    if announced is not None and received != announced:
        raise DownloadError(f"truncated: {received} of {announced} bytes arrived")
    if received == 0:
        raise DownloadError("the server sent an empty file")


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit():
        raise DownloadError(f"the server sent a malformed Content-Length {value!r}")
    return int(value)


def _check_room(announced: int, directory: Path, limits: Limits) -> None:
    if announced > limits.max_bytes:
        raise DownloadError(f"the server announces {announced} bytes, more than the limit of "
                            f"{limits.max_bytes}")
    free = shutil.disk_usage(directory).free
    if announced > free:
        raise DownloadError(f"{announced} bytes do not fit in {directory} ({free} bytes free)")
