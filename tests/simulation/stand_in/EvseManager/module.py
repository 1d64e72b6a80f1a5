"""Stand-in EvseManager: forwards its grid-side meter's values to ``test/meter``."""

import json

from pycharge.runtime.module import Module


class EvseManager(Module):
    def init(self) -> None:
        meter = self.connection("powermeter_grid_side")
        if meter is not None:
            meter.subscribe("powermeter", self._forward)

    def _forward(self, value: dict) -> None:
        self.publish_external("test/meter", json.dumps(value))
