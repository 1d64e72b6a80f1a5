"""DummyTokenProvider: a token for every session, for tests and demos without an RFID reader.

On each SessionStarted of the EVSE it is connected to, it publishes the configured token (id
token type ISO14443, the token is also its own parent, as in EVerest).
"""

from __future__ import annotations

from typing import Any

from pycharge.runtime.module import Module


class DummyTokenProvider(Module):
    def init(self) -> None:
        self.connection("evse").subscribe("session_event", self._session_event)

    def token(self) -> dict[str, Any]:
        config = self.impl["main"].config
        id_token = {"value": config["token"], "type": "ISO14443"}
        token: dict[str, Any] = {"id_token": id_token, "authorization_type": config["type"],
                                 "parent_id_token": dict(id_token)}
        if config["connector_id"] > 0:
            token["connectors"] = [config["connector_id"]]
        return token

    def _session_event(self, event: dict[str, Any]) -> None:
        if event["event"] != "SessionStarted":
            return
        try:
            self.impl["main"].publish("provided_token", self.token())
        except ValueError as exc:  # e.g. a type that is no authorization type
            self.log.error("cannot publish the configured token: %s", exc)
            return
        self.log.info("published the dummy token for the new session")
