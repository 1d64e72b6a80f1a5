"""set_system_time: take a plausible time from the backend, through ``timedatectl set-time``.

A backend's clock can be wrong too. A time before this software was built, or more than
``MAX_AHEAD`` past what we know (and past 2038-01-19 where ``time_t`` has 32 bits), is refused;
a time within ``min_time_deviation`` of ours is not worth a jump and is left alone (true).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pycharge.modules.CbSystem.programs import Programs
from pycharge.runtime.clock import parse_rfc3339, utc_now

# No clock can be right before this code existed; the installed file's date (the image build)
# may push this later.
RELEASE_FLOOR = datetime(2026, 1, 1, tzinfo=timezone.utc)
MAX_AHEAD = timedelta(days=20 * 365)
TIME_T_32_END = datetime(2038, 1, 19, 3, 14, 7, tzinfo=timezone.utc)


def earliest_plausible() -> datetime:
    """The build date of this software, or the release floor if the file date says less."""
    built = datetime.fromtimestamp(Path(__file__).stat().st_mtime, timezone.utc)
    return max(RELEASE_FLOOR, built)


def latest_plausible(now: datetime) -> datetime:
    """``MAX_AHEAD`` past the later of our clock and the build date, within ``time_t``."""
    latest = max(now, earliest_plausible()) + MAX_AHEAD
    try:
        time.gmtime(2**31)
    except (OverflowError, OSError, ValueError):
        latest = min(latest, TIME_T_32_END)
    return latest


class TimeSetter:
    """Sets the system clock with ``timedatectl set-time``."""

    def __init__(self, programs: Programs, timedatectl: str, timeout: float,
                 min_deviation_ms: int, log: logging.Logger) -> None:
        self._programs = programs
        self._timedatectl = timedatectl
        self._timeout = timeout
        self._min_deviation = timedelta(milliseconds=min_deviation_ms)
        self._log = log

    def set(self, timestamp: str) -> bool:
        try:
            moment = parse_rfc3339(timestamp)
        except ValueError as exc:
            self._log.error("set_system_time refused: %s", exc)
            return False
        now = utc_now()
        if not earliest_plausible() <= moment <= latest_plausible(now):
            self._log.error("set_system_time refused: %s is not a plausible time", timestamp)
            return False
        if abs(moment - now) < self._min_deviation:
            self._log.debug("set_system_time: %s is within %s of our clock", timestamp,
                            self._min_deviation)
            return True
        value = moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        result = self._programs.run([self._timedatectl, "set-time", value], self._timeout)
        if not result.ok:
            self._log.error("timedatectl set-time %s failed: %s", value, result.describe())
        return result.ok
