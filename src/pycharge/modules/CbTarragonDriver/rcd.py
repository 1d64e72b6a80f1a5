"""The ``ac_rcd`` implementation: no self test, no current reading; the RCM trip's error.

The trip itself is handled in the sampling loop (see ``rcm.py``). Like chargebyte's module, the
IEC 62955 self test is not implemented (the external RCM tests itself) and ``reset`` reports
success because the RCM resets on its own.
"""

from __future__ import annotations

from pycharge.runtime.module import Implementation


class Rcd(Implementation):
    def self_test(self) -> None:
        """Nothing to do: the external RCM runs its own test."""

    def reset(self) -> bool:
        return True
