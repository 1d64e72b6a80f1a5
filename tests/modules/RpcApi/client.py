"""A JSON-RPC client over a real WebSocket (the websockets library's own client)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from websockets.sync.client import connect


class RpcClient:
    def __init__(self, port: int, hello: bool = True) -> None:
        self.socket = connect(f"ws://127.0.0.1:{port}", open_timeout=10).__enter__()
        self.ids = itertools.count(1)
        self.notifications: list[dict[str, Any]] = []
        if hello:
            assert "api_version" in self.call("API.Hello")["result"]

    def send(self, text: str) -> None:
        self.socket.send(text)

    def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next answer; notifications on the way are kept in ``notifications``."""
        while True:
            message = json.loads(self.socket.recv(timeout=timeout))
            if "id" in message:
                return message
            self.notifications.append(message)

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        call_id = next(self.ids)
        request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": call_id}
        if params is not None:
            request["params"] = params
        self.send(json.dumps(request))
        answer = self.receive()
        assert answer["id"] == call_id, answer
        return answer

    def result(self, method: str, **params: Any) -> dict[str, Any]:
        answer = self.call(method, params)
        assert "result" in answer, answer
        return answer["result"]

    def wait_notification(self, method: str, test: Any = bool, timeout: float = 10.0
                          ) -> dict[str, Any]:
        """The first notification ``method`` whose params pass ``test`` (seen or to come)."""
        seen = 0
        while True:
            for note in self.notifications[seen:]:
                if note["method"] == method and test(note["params"]):
                    return note["params"]
            seen = len(self.notifications)
            message = json.loads(self.socket.recv(timeout=timeout))
            self.notifications.append(message)

    def close(self) -> None:
        self.socket.close()
