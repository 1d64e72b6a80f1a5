"""The residual current monitor's fault input (an RCM relay contact, by default on DIG_IN_2).

Read in every CP sample instead of chargebyte's separate thread with its 1 s waits: a trip is
taken from the first sample that shows it, so the relays open within one sample period. A
release needs two consecutive inactive samples, so a bouncing contact does not clear the error
and re-allow power in between.
"""

from __future__ import annotations

from typing import Any

RELEASE_SAMPLES = 2


class RcmInput:
    """Trip/release detection on the RCM fault line (logical value True = fault)."""

    def __init__(self, line: Any) -> None:
        self._line = line
        self.tripped = False
        self._quiet = 0

    def poll(self) -> bool | None:
        """Read once; True on a new trip, False on a release, None if nothing changed."""
        active = bool(self._line.read())
        if active:
            self._quiet = 0
            if not self.tripped:
                self.tripped = True
                return True
            return None
        self._quiet += 1
        if self.tripped and self._quiet >= RELEASE_SAMPLES:
            self.tripped = False
            return False
        return None
