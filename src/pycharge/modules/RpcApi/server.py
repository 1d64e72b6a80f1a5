"""The WebSocket side of the RpcApi: an asyncio loop on a thread of the module.

Only this file imports ``websockets`` (and only when the server starts), so stacks without
an RpcApi do not load it. Every message is handed to the module's thread as it arrives;
answers and notifications come back through :meth:`WsServer.send`, from any thread. The loop
works with websockets 10 (kirkstone's meta-python) to today's.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

HELLO_TIMEOUT_S = 5.0  # EVerest closes a connection that has not said API.Hello by then
STOP_POLL_S = 0.25
SIOCGIFADDR = 0x8915


def listen_address(interface: str) -> str | None:
    """``websocket_interface`` as an address to bind to: None for all, else the interface's
    IPv4 address (an address is taken as it is); ValueError if there is no such interface."""
    if interface == "all":
        return None
    try:
        socket.inet_aton(interface)
        return interface
    except OSError:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR,
                                 struct.pack("256s", interface.encode()[:15]))
        except OSError as exc:
            raise ValueError(f"no IPv4 address on network interface {interface!r}: "
                             f"{exc.strerror}") from None
    return socket.inet_ntoa(answer[20:24])


class Client:
    """One connection; ``hello`` is set (by the module's thread) once it said API.Hello."""

    def __init__(self, number: int, socket_: Any) -> None:
        self.number = number
        self.socket = socket_
        self.hello = False


class WsServer:
    def __init__(self, host: str | None, port: int, on_message: Callable[[Client, str], None],
                 on_gone: Callable[[Client], None], stopping: threading.Event) -> None:
        self.host, self.port = host, port
        self._on_message, self._on_gone = on_message, on_gone
        self._stopping = stopping
        self._numbers = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.listening = threading.Event()

    def run(self) -> None:
        """The thread's body: serve until the module stops."""
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        import websockets  # here: only stacks with an RpcApi pay for it

        self._loop = asyncio.get_running_loop()
        async with websockets.serve(self._connection, self.host, self.port):
            self.listening.set()
            while not self._stopping.is_set():
                await asyncio.sleep(STOP_POLL_S)

    async def _connection(self, socket_: Any, _path: str = "") -> None:
        client = Client(next(self._numbers), socket_)
        timer = asyncio.get_running_loop().call_later(
            HELLO_TIMEOUT_S, lambda: None if client.hello else asyncio.ensure_future(
                socket_.close(1008, "Disconnected due to timeout")))
        try:
            async for message in socket_:
                self._on_message(client, message if isinstance(message, str) else
                                 message.decode("utf-8", "replace"))
        except Exception:  # a broken connection ends only itself
            pass
        finally:
            timer.cancel()
            self._on_gone(client)

    def send(self, client: Client, text: str) -> None:
        """Queue ``text`` for ``client``; a connection that is gone is not an error."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(asyncio.ensure_future, self._send(client, text))

    def close(self, client: Client, reason: str) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(asyncio.ensure_future,
                                            client.socket.close(1008, reason))

    @staticmethod
    async def _send(client: Client, text: str) -> None:
        with contextlib.suppress(Exception):  # closed meanwhile: the client is gone
            await client.socket.send(text)
