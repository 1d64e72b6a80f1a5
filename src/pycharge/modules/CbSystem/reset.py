"""reset: Soft restarts the charging stack, anything else reboots the system (as chargebyte).

The reset happens ``reset_delay`` seconds after the request, so that the answer still reaches
the backend. While ``rauc install`` writes a slot the reset waits for it to end: RAUC would
survive the interruption, but the update would be lost for nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pycharge.modules.CbSystem.programs import Programs

SOFT = "Soft"
RETRY = 1.0  # seconds between looks at a running installation


class Reset:
    """Carries out resets; ``schedule`` and ``spawn`` are the module's timer and thread starters."""

    def __init__(self, programs: Programs, reboot: str, timeout: float,
                 schedule: Callable[..., object], spawn: Callable[..., object],
                 installing: Callable[[], bool], log: logging.Logger) -> None:
        self._programs = programs
        self._reboot = reboot
        self._timeout = timeout
        self._schedule = schedule
        self._spawn = spawn
        self._installing = installing
        self._log = log

    def request(self, reset_type: str, scheduled: bool, delay: float) -> None:
        self._log.info("%s reset requested (%sscheduled); in %g s", reset_type,
                       "" if scheduled else "not ", delay)
        self._schedule(delay, self._now, reset_type)

    def _now(self, reset_type: str, waited: bool = False) -> None:
        if self._installing():
            if not waited:
                self._log.warning("%s reset waits for the firmware installation to end",
                                  reset_type)
            self._schedule(RETRY, self._now, reset_type, True)
        elif reset_type == SOFT:
            self._log.warning("soft reset: stopping the charging stack for systemd to restart it")
            self._programs.terminate_stack()
        else:
            self._log.warning("hard reset: rebooting")
            self._spawn("reboot", self._run_reboot)

    def _run_reboot(self) -> None:
        result = self._programs.run([self._reboot], self._timeout)
        if not result.ok:
            self._log.error("reboot failed: %s", result.describe())
