"""DummyTokenProviderManual: a token swiped over MQTT, as EVerest's own test suites do it.

Each message on ``everest_api/<module id>/cmd/provide`` (or the configured ``mqtt_topic``) is a
``ProvidedIdToken`` as JSON; it is published as ``provided_token``. A message that is no JSON or
no valid token is logged and dropped (EVerest logs it too).
"""

from __future__ import annotations

import json

from pycharge.runtime.module import Module


class DummyTokenProviderManual(Module):
    def init(self) -> None:
        topic = self.impl["main"].config["mqtt_topic"] or f"everest_api/{self.id}/cmd/provide"
        self.log.info("subscribing to %s for provided tokens", topic)
        self.subscribe_external(topic, self._provide)

    def _provide(self, _topic: str, payload: bytes) -> None:
        try:
            token = json.loads(payload)
            self.impl["main"].publish("provided_token", token)
        except ValueError as exc:  # no JSON, or no ProvidedIdToken (the bus validates it)
            self.log.error("failed to handle the token from MQTT %r: %s", payload[:200], exc)
            return
        self.log.info("published the token from MQTT")
