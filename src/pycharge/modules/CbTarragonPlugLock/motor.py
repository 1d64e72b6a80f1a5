"""The DRV8872 H-bridge driving the lock motor: two logical inputs, four modes.

forward (IN1 only) unlocks, backward (IN2 only) locks, brake (both) holds the motor after a
move, coast (neither) lets it run free and lets the backup capacitor charge. Values are logical:
the HAL applies each line's active-low setting (IN1 is inverted on X9).
"""

from __future__ import annotations

from typing import Any

MODES = {"coast": (False, False), "forward": (True, False), "backward": (False, True),
         "brake": (True, True)}


class Drv8872:
    def __init__(self, in1: Any, in2: Any) -> None:
        self._in1, self._in2 = in1, in2
        self.mode = "coast"
        self.set("coast")

    def set(self, mode: str) -> None:
        in1, in2 = MODES[mode]
        self._in1.write(in1)
        self._in2.write(in2)
        self.mode = mode
