"""Collecting the logs of a time window into a tar.gz, with Python's tarfile.

The journal of the window comes from ``journalctl`` when the program is there and works;
otherwise the regular files under the log directory modified since the window's start are taken
(symbolic links are never followed, so nothing outside that directory gets in). ``rauc status``
is added, since the slot state is the first question after a failed update.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pycharge.modules.CbSystem.programs import Programs

COLLECT_TIMEOUT = 120.0  # journalctl over a full /var/log partition
MAX_LOG_DIR_BYTES = 256 * 1024 * 1024
_LOG_TYPE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_LOG_TYPE = "diagnostics"


@dataclass(frozen=True)
class LogSources:
    """Where logs come from (paths from the module's configuration)."""

    journalctl: str
    log_dir: Path
    rauc: str
    program_timeout: float


def archive_name(log_type: str | None, moment: datetime) -> str:
    """``<type>_<YYYY-MM-DDTHH-MM-SSZ>.tar.gz`` (chargebyte's pattern, in UTC).

    The type comes from the request: anything but letters, digits, ``_`` and ``-`` makes it
    ``diagnostics``, so the name can never reach outside the directory it is made in.
    """
    kind = log_type if isinstance(log_type, str) and _LOG_TYPE.match(log_type) else DEFAULT_LOG_TYPE
    return f"{kind}_{moment.strftime('%Y-%m-%dT%H-%M-%SZ')}.tar.gz"


def build_archive(archive: Path, work: Path, since: datetime | None, until: datetime | None,
                  sources: LogSources, programs: Programs, log: logging.Logger) -> None:
    """Write the tar.gz ``archive``, using ``work`` (a private directory) for collected output."""
    members = _journal(work, since, until, sources, programs, log)
    if not members:
        members = _log_files(sources.log_dir, since, log)
    rauc = programs.run([sources.rauc, "status"], sources.program_timeout)
    rauc_file = work / "rauc-status.txt"
    rauc_file.write_text(rauc.stdout if rauc.ok else f"rauc status: {rauc.describe()}\n",
                         encoding="utf-8")
    members.append((rauc_file, "rauc-status.txt"))
    with tarfile.open(archive, "w:gz") as tar:
        for path, name in members:
            try:
                tar.add(path, arcname=name, recursive=False, filter=_anonymous)
            except OSError as exc:
                log.warning("log file %s left out: %s", path, exc)


def _journal(work: Path, since: datetime | None, until: datetime | None, sources: LogSources,
             programs: Programs, log: logging.Logger) -> list[tuple[Path, str]]:
    if not programs.available(sources.journalctl):
        return []
    argv = [sources.journalctl, "--no-pager", "--utc", "--output=short-iso-precise"]
    if since is not None:
        argv.append(f"--since=@{int(since.timestamp())}")
    if until is not None:
        argv.append(f"--until=@{int(until.timestamp()) + 1}")
    output = work / "journal.txt"
    result = programs.run(argv, COLLECT_TIMEOUT, stdout_path=output)
    if not result.ok:
        log.warning("journalctl failed (%s); taking the files of %s", result.describe(),
                    sources.log_dir)
        return []
    return [(output, "journal.txt")]


def _log_files(log_dir: Path, since: datetime | None, log: logging.Logger
               ) -> list[tuple[Path, str]]:
    members: list[tuple[Path, str]] = []
    total = 0
    oldest = since.timestamp() if since is not None else None
    for root, dirs, files in os.walk(log_dir, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or (oldest is not None and info.st_mtime < oldest):
                continue
            if total + info.st_size > MAX_LOG_DIR_BYTES:
                log.warning("log file %s left out: the archive would exceed %d bytes", path,
                            MAX_LOG_DIR_BYTES)
                continue
            total += info.st_size
            members.append((path, "logs/" + path.relative_to(log_dir).as_posix()))
    return members


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No user or group names of the charger in the archive."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
