"""Soft over-current: the car draws clearly more than the PWM allows, for too long.

The limit is the current signalled on the PWM (not the internal limit, which may be up to 5 s
ahead of the PWM: EVerest#762) plus the measurement noise, plus the tolerance in percent. Any
phase above it for ``soft_over_current_timeout_ms`` raises ``MREC4OverCurrentFailure`` (High),
which shuts the charger down. The board's own fast over-current trip is separate.
"""

from __future__ import annotations

from collections.abc import Sequence


class SoftOverCurrent:
    """Tracks how long the measured current has been above the allowed one."""

    def __init__(self, tolerance_percent: float, noise_a: float, timeout_ms: int) -> None:
        self.tolerance_percent = tolerance_percent
        self.noise_a = noise_a
        self.timeout_s = timeout_ms / 1000.0
        self.currents: Sequence[float] = (0.0, 0.0, 0.0)
        self._since: float | None = None

    def limit(self, signalled_a: float) -> float:
        return (signalled_a + self.noise_a) * (1.0 + self.tolerance_percent / 100.0)

    def check(self, signalled_a: float, now: float) -> str | None:
        """Call while charging; returns the error message once the timeout is exceeded."""
        limit = self.limit(signalled_a)
        if not any(abs(c) > limit for c in self.currents):
            self._since = None
            return None
        if self._since is None:
            self._since = now
        if now - self._since >= self.timeout_s:
            l1, l2, l3 = self.currents
            return f"Soft overcurrent event (L1:{l1}, L2:{l2}, L3:{l3}, limit {limit:.2f}) triggered"
        return None
