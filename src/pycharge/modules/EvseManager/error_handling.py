"""Errors of the EVSE and of everything it requires, and the safe state they lead to.

Any active error that is not on the ignore list makes the EVSE inoperative: EvseManager raises
``evse_manager/Inoperative`` (message: the cause's type) and the charger shuts down. A cause of
severity High means an emergency shutdown (PWM off and relays off at once); Medium or Low an
error shutdown (relays off). When the last such error clears, Inoperative clears and a paused
session resumes. ``runtime/ModuleFault`` (a required module died or hung) is an error like any
other here, so the EVSE is inoperative until that module is back.

EvseManager's own errors that belong to one session are cleared when the car is unplugged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Protocol

from pycharge.runtime.errors import Error

INOPERATIVE = "evse_manager/Inoperative"
OVERCURRENT = "evse_manager/MREC4OverCurrentFailure"
INTERNAL = "evse_manager/Internal"
AUTHORIZATION_TIMEOUT = "evse_manager/MREC9AuthorizationTimeout"
POWERMETER_START_FAILED = "evse_manager/PowermeterTransactionStartFailed"

# Sources in the order they are asked for a cause (EVerest's order); "evse" is EvseManager itself.
SOURCES = ("evse", "bsp", "connector_lock", "ac_rcd", "powermeter")
IGNORED: dict[str, frozenset[str]] = {
    "evse": frozenset({INOPERATIVE}),
    "bsp": frozenset({"evse_board_support/MREC3HighTemperature",
                      "evse_board_support/MREC18CableOverTempDerate",
                      "evse_board_support/VendorWarning", "ac_rcd/VendorWarning"}),
    "connector_lock": frozenset({"connector_lock/VendorWarning"}),
    "ac_rcd": frozenset({"ac_rcd/VendorWarning"}),
    "powermeter": frozenset({"generic/VendorWarning"}),
}
CLEAR_ON_UNPLUG = (OVERCURRENT, INTERNAL, POWERMETER_START_FAILED, AUTHORIZATION_TIMEOUT,
                   "evse_manager/MREC22ResistanceFault", "evse_manager/MREC11CableCheckFault",
                   "evse_manager/MREC5OverVoltage", "evse_manager/VoltagePlausibilityFault")


class Shutdown(str, Enum):
    """How the charger has to stop because of errors."""

    NONE = "None"
    ERROR = "ErrorShutdown"  # relays off, PWM may stay
    EMERGENCY = "EmergencyShutdown"  # PWM off and relays off


class OwnErrors(Protocol):
    """EvseManager's own error state (its ``evse`` implementation)."""

    def raise_error(self, error_type: str, message: str = "", sub_type: str = "",
                    severity: str = "High") -> Error | None: ...
    def clear_error(self, error_type: str, sub_type: str | None = None) -> list[Error]: ...
    def active_errors(self) -> list[Error]: ...


class ErrorHandling:
    """Collects the active errors per source and derives Inoperative and the shutdown type.

    ``on_change()`` is called whenever the shutdown type changed.
    """

    def __init__(self, own: OwnErrors, log: logging.Logger,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.own = own
        self.log = log
        self.on_change = on_change
        self.shutdown = Shutdown.NONE
        self._active: dict[str, dict[tuple[str, str], Error]] = {s: {} for s in SOURCES[1:]}

    # -- errors of the requirements ---------------------------------------------------------------
    def raised(self, source: str, error: Error) -> None:
        self._active[source][error.key] = error
        self.process()

    def cleared(self, source: str, error: Error) -> None:
        self._active[source].pop(error.key, None)
        self.process()

    # -- our own errors -------------------------------------------------------------------------
    def raise_own(self, error_type: str, message: str, severity: str) -> None:
        if self.own.raise_error(error_type, message, severity=severity) is not None:
            self.log.error("%s: %s", error_type, message)
        self.process()

    def clear_on_unplug(self) -> None:
        """Clear the errors that belong to the session that just ended."""
        for error_type in CLEAR_ON_UNPLUG:
            self.own.clear_error(error_type)
        self.process()

    # -- the decision -------------------------------------------------------------------------
    def fatal(self) -> list[Error]:
        """Every active error that prevents charging, first cause first."""
        found: list[Error] = []
        for source in SOURCES:
            errors: Iterable[Error] = (self.own.active_errors() if source == "evse"
                                       else self._active[source].values())
            found += [e for e in errors if e.type not in IGNORED[source]]
        return found

    def process(self) -> None:
        """Raise or clear Inoperative and set the shutdown type from the active errors."""
        fatal = self.fatal()
        if fatal:
            cause = fatal[0]
            if self.own.raise_error(INOPERATIVE, cause.type, severity="High") is not None:
                self.log.error("inoperative because of %s (%s)", cause.type, cause.message)
            emergency = any(e.severity == "High" for e in fatal)
            shutdown = Shutdown.EMERGENCY if emergency else Shutdown.ERROR
        else:
            if self.own.clear_error(INOPERATIVE):
                self.log.info("no error prevents charging any more")
            shutdown = Shutdown.NONE
        if shutdown != self.shutdown:
            self.shutdown = shutdown
            self.on_change()
