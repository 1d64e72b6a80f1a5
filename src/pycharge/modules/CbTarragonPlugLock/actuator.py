"""Lock and unlock motions, one at a time, as chargebyte's CbTarragonPlugLock runs them.

A motion waits for the backup capacitor (polled every 100 ms, at most 5 s; 400 s for the
first unlock at start-up), drives the motor for ``actuator_duration``, brakes, and then reads
the feedback: inside the target window the motion succeeded, otherwise an error is raised.
Unlike chargebyte's module nothing here blocks: each step is a timer on the module's thread,
so the ``lock``/``unlock`` commands return at once and a request that arrives during a motion
runs after it (only the latest such request is kept).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from pycharge.modules.CbTarragonPlugLock.lock_sense import Window
from pycharge.modules.CbTarragonPlugLock.motor import Drv8872

CAP_NOT_CHARGED = "connector_lock/ConnectorLockCapNotCharged"
FAILED_LOCK = "connector_lock/ConnectorLockFailedLock"
FAILED_UNLOCK = "connector_lock/ConnectorLockFailedUnlock"
UNEXPECTED_OPEN = "connector_lock/ConnectorLockUnexpectedOpen"
UNEXPECTED_CLOSE = "connector_lock/ConnectorLockUnexpectedClose"
CAP_POLL_S = 0.1
CAP_WAIT_S = 5.0
STARTUP_CAP_WAIT_S = 400.0
MONITOR_PERIOD_S = 1.0
LOCK, UNLOCK = "lock", "unlock"


class ErrorSink(Protocol):
    """The connector_lock implementation's error calls."""

    def raise_error(self, error_type: str, message: str = "", sub_type: str = "",
                    severity: str = "High") -> Any: ...
    def clear_error(self, error_type: str, sub_type: str | None = None) -> Any: ...
    def error_active(self, error_type: str, sub_type: str | None = None) -> bool: ...


class LockActuator:
    """Motions, their capacitor wait and result check, and the optional position monitor."""

    def __init__(self, motor: Drv8872, sense_mv: Callable[[], int], capacitor_mv: Callable[[], int],
                 unlocked: Window, locked: Window, actuator_s: float, charged_mv: int,
                 schedule: Callable[[float, Callable[[], None]], Any], now: Callable[[], float],
                 errors: ErrorSink, log: logging.Logger) -> None:
        self.motor = motor
        self.sense_mv = sense_mv
        self.capacitor_mv = capacitor_mv
        self.unlocked, self.locked = unlocked, locked
        self.actuator_s = actuator_s
        self.charged_mv = charged_mv
        self.schedule = schedule
        self.now = now
        self.errors = errors
        self.log = log
        self.motion: str | None = None
        self.queued: str | None = None
        self.assumed_locked = False
        self.started = False
        self._cap_deadline = 0.0
        self._cap_failure = ("Medium", "")

    # -- motions ------------------------------------------------------------------------------------
    def start_up(self) -> None:
        """Unlock once at start (the plug may have been left locked), then allow monitoring."""
        self._begin(UNLOCK, STARTUP_CAP_WAIT_S, "High", "Initial capacitor voltage not reached")

    def request(self, target: str) -> None:
        """``lock``/``unlock`` command: run now, or after the running motion."""
        if self.motion is not None:
            self.queued = target
            return
        self._begin(target, CAP_WAIT_S, "Medium",
                    f"Capacitor voltage not reached within {CAP_WAIT_S:.0f} s")

    def _begin(self, target: str, cap_wait_s: float, severity: str, message: str) -> None:
        self.motion = target
        self._cap_deadline = self.now() + cap_wait_s
        self._cap_failure = (severity, message)
        self._wait_for_capacitor()

    def _capacitor_charged(self) -> bool:
        return self.charged_mv == 0 or self.capacitor_mv() >= self.charged_mv

    def _wait_for_capacitor(self) -> None:
        if self._capacitor_charged():
            if self.errors.error_active(CAP_NOT_CHARGED):
                self.errors.clear_error(CAP_NOT_CHARGED)
        elif self.now() < self._cap_deadline:
            self.schedule(CAP_POLL_S, self._wait_for_capacitor)
            return
        else:
            severity, message = self._cap_failure
            self.log.warning("%s; driving the lock anyway", message)
            self.errors.raise_error(CAP_NOT_CHARGED, message, "", severity)
        self.motor.set("backward" if self.motion == LOCK else "forward")
        self.schedule(self.actuator_s, self._finish)

    def _finish(self) -> None:
        self.motor.set("brake")
        mv = self.sense_mv()
        if self.motion == LOCK:
            self.assumed_locked = mv in self.locked
            if self.assumed_locked:
                self._clear(FAILED_LOCK)
            else:
                self.errors.raise_error(FAILED_LOCK, "Plug is not locked", "", "Medium")
        else:
            self.assumed_locked = mv not in self.unlocked
            if self.assumed_locked:
                self.errors.raise_error(FAILED_UNLOCK, "Plug is not unlocked", "", "Medium")
            else:
                self._clear(FAILED_UNLOCK)
                self._clear(FAILED_LOCK)
        self.log.info("%s finished: feedback %d mV, %s", self.motion, mv,
                      "locked" if self.assumed_locked else "unlocked")
        self.motion = None
        self.started = True
        queued, self.queued = self.queued, None
        if queued is not None:
            self.request(queued)

    # -- monitoring ------------------------------------------------------------------------------------
    def monitor(self) -> None:
        """Every second (enable_monitoring): is the lock still where it was driven to?"""
        if not self.started or self.motion is not None:
            return
        mv = self.sense_mv()
        if self.assumed_locked:
            self._clear(UNEXPECTED_CLOSE)
            self._set(UNEXPECTED_OPEN, mv not in self.locked, "Plug lock opened unexpectedly")
        else:
            self._clear(UNEXPECTED_OPEN)
            self._set(UNEXPECTED_CLOSE, mv not in self.unlocked, "Plug lock closed unexpectedly")

    def _set(self, error_type: str, active: bool, message: str) -> None:
        if active:
            if self.errors.raise_error(error_type, message, "", "High") is not None:
                self.log.error("%s", message)
        else:
            self._clear(error_type)

    def _clear(self, error_type: str) -> None:
        if self.errors.error_active(error_type):
            self.errors.clear_error(error_type)
