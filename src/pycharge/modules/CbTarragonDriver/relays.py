"""One relay of the board: its coil line and, optionally, its SENSE feedback line.

The feedback is polled (each CP sample) instead of waited for: switching never blocks, and the
sampling loop checks that the debounced feedback reaches the coil state within 250 ms
(chargebyte's CbTarragonRelay). A feedback change nobody asked for is reported as spurious.
python-periphery cannot set the kernel debounce, so the debounce is done here in software: a
level counts once it has been read unchanged for ``debounce_s``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

FEEDBACK_TIMEOUT_S = 0.25
MIN_CLOSE_INTERVAL_S = 10.0


class FeedbackType(str, enum.Enum):
    """How the SENSE contact is wired (config ``contactor_N_feedback_type``)."""

    NONE = "none"
    NO = "no"  # normally open auxiliary contact: SENSE active while the relay is closed
    NC = "nc"  # normally closed auxiliary contact: read active-low


class Outcome(str, enum.Enum):
    """What a poll found out about a relay."""

    CONFIRMED = "confirmed"  # the last switch is confirmed by the feedback
    FAILED = "failed"        # the feedback did not follow the coil in time
    SPURIOUS = "spurious"    # the feedback changed while nothing was switched


def closed_word(closed: bool) -> str:
    return "CLOSED" if closed else "OPEN"


@dataclass
class Report:
    """One finding of :meth:`Relay.poll`."""

    relay: Relay
    outcome: Outcome
    message: str = ""


class Relay:
    """Coil plus optional feedback; all methods are called with the contactor lock held."""

    def __init__(self, name: str, coil: Any, sense: Any | None, debounce_s: float) -> None:
        self.name = name
        self.label = name
        self._coil = coil
        self._sense = sense
        self._debounce_s = debounce_s
        self.coil_on = False
        self.last_close: float | None = None
        self.pending_since: float | None = None  # a switch waits for its feedback since then
        self.settled: bool | None = None          # debounced feedback (None until known)
        self._candidate: bool | None = None
        self._candidate_since = 0.0
        self._reported = False    # the current disagreement has been reported
        self._seen_match = False  # the feedback agreed with the coil at least once
        coil.write(False)

    @property
    def has_feedback(self) -> bool:
        return self._sense is not None

    def switch(self, on: bool, now: float) -> None:
        """Drive the coil; the feedback is then expected to follow within FEEDBACK_TIMEOUT_S."""
        self._coil.write(on)
        self.coil_on = on
        if on:
            self.last_close = now
        self.pending_since = now if self.has_feedback else None

    def expect_from(self, now: float) -> None:
        """Restart the feedback wait (a relay whose coil is fed through another contact)."""
        if self.pending_since is not None:
            self.pending_since = now

    def force_open(self) -> None:
        """Coil off, nothing else: for ``safe_state`` on another thread, without locks."""
        self._coil.write(False)

    def ready_to_close_at(self) -> float:
        """When the minimum close interval since this relay's last close is over."""
        return 0.0 if self.last_close is None else self.last_close + MIN_CLOSE_INTERVAL_S

    def read_feedback(self, now: float) -> bool | None:
        """Read SENSE once and update the debounced level (None: no feedback line)."""
        if self._sense is None:
            return None
        level = bool(self._sense.read())
        if level != self._candidate:
            self._candidate, self._candidate_since = level, now
        if now - self._candidate_since >= self._debounce_s:
            self.settled = level
        return self.settled

    def poll(self, now: float) -> Report | None:
        """Compare the debounced feedback with the coil (after :meth:`read_feedback`).

        A disagreement is reported once per episode: as a failure while a switch waits for
        its feedback, as a failed start-up check the first time the level is known, as
        spurious otherwise.
        """
        if self._sense is None or self.settled is None:
            return None
        if self.settled == self.coil_on:
            self._reported = False
            self._seen_match = True
            if self.pending_since is None:
                return None
            self.pending_since = None
            return Report(self, Outcome.CONFIRMED)
        if self.pending_since is not None:
            return self._pending_disagreement(now)
        if self._reported:
            return None
        self._reported = True
        state = closed_word(self.settled)
        if self._seen_match:
            message = f"Spurious state '{state}' on feedback signal of '{self.label}' detected"
        else:
            message = f"Initial contactor feedback check failed for '{self.label}': {state}"
        return Report(self, Outcome.SPURIOUS, message)

    def _pending_disagreement(self, now: float) -> Report | None:
        """A switch waits for its feedback: fine within the timeout, a failure after it."""
        if now - self.pending_since <= FEEDBACK_TIMEOUT_S:
            return None
        self.pending_since = None
        self._reported = True
        return Report(self, Outcome.FAILED,
                      f"Failed to {'CLOSE' if self.coil_on else 'OPEN'} the {self.label}, "
                      f"it is still {closed_word(bool(self.settled))}")

    @property
    def matches(self) -> bool:
        """Feedback agrees with the coil and nothing is pending (trivially true without feedback)."""
        return self._sense is None or (self.pending_since is None and self.settled == self.coil_on)
