"""A JSON-RPC client over a real WebSocket (the websockets library's own client).

It drives the library's asyncio client from a private event loop, which works with every
websockets release pycharge supports (10.2 in kirkstone's meta-python to today's).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import websockets


class RpcClient:
    def __init__(self, port: int, hello: bool = True) -> None:
        self.loop = asyncio.new_event_loop()
        self.socket = self.loop.run_until_complete(self._open(f"ws://127.0.0.1:{port}"))
        self.ids = itertools.count(1)
        self.notifications: list[dict[str, Any]] = []
        if hello:
            assert "api_version" in self.call("API.Hello")["result"]

    @staticmethod
    async def _open(uri: str) -> Any:
        """Inside the loop: websockets 10 binds a connection to the loop it is made in."""
        return await asyncio.wait_for(websockets.connect(uri), 10)

    def send(self, text: str) -> None:
        self.loop.run_until_complete(self.socket.send(text))

    def _recv(self, timeout: float) -> dict[str, Any]:
        try:
            text = self.loop.run_until_complete(asyncio.wait_for(self.socket.recv(), timeout))
        except asyncio.TimeoutError:
            raise AssertionError(f"nothing received within {timeout} s") from None
        return json.loads(text)

    def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next answer; notifications on the way are kept in ``notifications``."""
        while True:
            message = self._recv(timeout)
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
        seen, deadline = 0, time.monotonic() + timeout
        while True:
            for note in self.notifications[seen:]:
                if note["method"] == method and test(note["params"]):
                    return note["params"]
            seen = len(self.notifications)
            left = deadline - time.monotonic()
            if left <= 0:
                recent = [n for n in self.notifications if n["method"] == method][-3:]
                raise AssertionError(f"no {method} that passes within {timeout} s; got {recent}")
            message = self._recv(left)
            if "id" not in message:
                self.notifications.append(message)

    def close(self) -> None:
        self.loop.run_until_complete(self.socket.close())
        self.loop.close()
