"""DummyTokenValidator: the same configured result for every token, for tests and demos.

It waits ``sleep`` seconds before answering, like a slow backend. The wait blocks this module's
thread, so it is capped at MAX_SLEEP_S: longer would make the supervisor count the module as hung.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pycharge.runtime.module import Implementation, Module

MAX_SLEEP_S = 5.0


class Main(Implementation):
    module: DummyTokenValidator

    def validate_token(self, provided_token: dict[str, Any]) -> dict[str, Any]:
        self.module.clock.sleep(self.module.sleep)
        result = self.config["validation_result"]
        self.module.log.info("token %s...: %s", provided_token["id_token"]["value"][:2], result)
        return {"authorization_status": result, "tariff_messages": []}


class DummyTokenValidator(Module):
    implementations: ClassVar = {"main": Main}

    def init(self) -> None:
        self.sleep = self.impl["main"].config["sleep"]
        if self.sleep > MAX_SLEEP_S:
            self.log.warning("sleep %.1f s would stall this module; waiting %.1f s instead",
                             self.sleep, MAX_SLEEP_S)
            self.sleep = MAX_SLEEP_S
