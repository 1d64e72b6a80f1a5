"""A real OCPP 1.6 central system on loopback, made with the ocpp library's own ChargePoint.

It runs its asyncio loop on a thread, records every request the charge point sends (action and
payload, in order) and answers as a CSMS does. Tests call the charge point through it with
:meth:`Csms.call` and wait for its messages with :meth:`Csms.wait`; it can be stopped and
started again on the same port, to take the CSMS away.

With ``tls`` (an SSL server context) it serves wss:// on 127.0.0.1 (named by the certificate;
not localhost, which a clean root without /etc/hosts cannot resolve) and counts the TLS
handshakes begun (``handshakes``, even those that fail); with ``basic_auth`` set it answers
401 to a charge point whose Authorization header is not that ``user:password``. It records
each Authorization header and each client certificate's subject it sees.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import http
import itertools
import ssl
import threading
from collections.abc import Callable
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from tests.support.waiting import wait_until


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class CentralSystem(ChargePoint):
    """The CSMS's side of one charge point's connection."""

    def __init__(self, cp_id: str, socket: Any, csms: Csms) -> None:
        super().__init__(cp_id, socket)
        self.csms = csms

    async def route_message(self, raw_msg: str) -> None:
        with self.csms.lock:
            self.csms.frames.append(raw_msg)
        await super().route_message(raw_msg)

    def seen(self, action: str, payload: dict[str, Any]) -> None:
        with self.csms.lock:
            self.csms.messages.append((action, payload))

    @on(Action.boot_notification)
    async def _boot(self, **payload: Any) -> Any:
        self.seen("BootNotification", payload)
        status = self.csms.boot_answers.pop(0) if self.csms.boot_answers else "Accepted"
        return call_result.BootNotification(now(), self.csms.heartbeat_interval, status)

    @on(Action.heartbeat)
    async def _heartbeat(self, **payload: Any) -> Any:
        self.seen("Heartbeat", payload)
        return call_result.Heartbeat(now())

    @on(Action.status_notification)
    async def _status(self, **payload: Any) -> Any:
        self.seen("StatusNotification", payload)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def _authorize(self, **payload: Any) -> Any:
        self.seen("Authorize", payload)
        return call_result.Authorize({"status": self.csms.id_tags.get(payload["id_tag"],
                                                                      "Accepted")})

    @on(Action.start_transaction)
    async def _start(self, **payload: Any) -> Any:
        self.seen("StartTransaction", payload)
        return call_result.StartTransaction(next(self.csms.transaction_ids), {
            "status": self.csms.id_tags.get(payload["id_tag"], "Accepted")})

    @on(Action.stop_transaction)
    async def _stop(self, **payload: Any) -> Any:
        self.seen("StopTransaction", payload)
        return call_result.StopTransaction()

    @on(Action.meter_values)
    async def _meter_values(self, **payload: Any) -> Any:
        self.seen("MeterValues", payload)
        return call_result.MeterValues()

    @on(Action.security_event_notification)
    async def _security_event(self, **payload: Any) -> Any:
        self.seen("SecurityEventNotification", payload)
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    async def _firmware_status(self, **payload: Any) -> Any:
        self.seen("FirmwareStatusNotification", payload)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    async def _diagnostics_status(self, **payload: Any) -> Any:
        self.seen("DiagnosticsStatusNotification", payload)
        return call_result.DiagnosticsStatusNotification()

    @on(Action.signed_firmware_status_notification)
    async def _signed_firmware_status(self, **payload: Any) -> Any:
        self.seen("SignedFirmwareStatusNotification", payload)
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification)
    async def _log_status(self, **payload: Any) -> Any:
        self.seen("LogStatusNotification", payload)
        return call_result.LogStatusNotification()


class Csms:
    def __init__(self, port: int, heartbeat_interval: int = 1) -> None:
        self.port = port
        self.tls: ssl.SSLContext | None = None  # taken at start()
        self.basic_auth: str | None = None  # "user:password" to require
        self.handshakes = 0
        self.authorizations: list[str | None] = []
        self.client_subjects: list[dict[str, str]] = []
        self.heartbeat_interval = heartbeat_interval
        self.lock = threading.Lock()
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.frames: list[str] = []  # every frame received, as it came
        self.paths: list[str] = []
        self.subprotocols: list[str | None] = []
        self.boot_answers: list[str] = []  # answers to the next BootNotifications
        self.id_tags: dict[str, str] = {}  # a tag's status other than Accepted (idTagInfo)
        self.transaction_ids = itertools.count(100)
        self.station: CentralSystem | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"wss://127.0.0.1:{self.port}/" if self.tls else f"ws://127.0.0.1:{self.port}/"

    def start(self) -> None:
        listening = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(listening)),
                                        daemon=True)
        self._thread.start()
        assert listening.wait(10), "the CSMS did not start listening"

    async def _serve(self, listening: threading.Event) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        if self.tls is not None:
            self.tls.sni_callback = self._handshake_begun
        async with websockets.serve(self._connection, "127.0.0.1", self.port,
                                    subprotocols=["ocpp1.6"], ssl=self.tls,
                                    process_request=self._check_auth):
            listening.set()
            await self._stop.wait()

    def _handshake_begun(self, _socket: Any, _server_name: str | None, _context: Any) -> None:
        with self.lock:
            self.handshakes += 1

    def _check_auth(self, first: Any, second: Any) -> Any:
        """websockets' process_request: (connection, request) since 13, (path, headers) in
        10 (kirkstone's, in the ptest). None lets the handshake go on."""
        headers = getattr(second, "headers", second)
        header = headers.get("Authorization")
        with self.lock:
            self.authorizations.append(header)
        if self.basic_auth is None or header == "Basic " + base64.b64encode(
                self.basic_auth.encode()).decode():
            return None
        if hasattr(first, "respond"):
            return first.respond(http.HTTPStatus.UNAUTHORIZED, "wrong credentials\n")
        return http.HTTPStatus.UNAUTHORIZED, [], b"wrong credentials\n"

    async def _connection(self, socket: Any) -> None:
        peer = socket.transport.get_extra_info("peercert")
        if peer:
            with self.lock:
                self.client_subjects.append(dict(item[0] for item in peer["subject"]))
        # websockets 10 (kirkstone's, in the ptest) has socket.path; 13+ socket.request
        path = socket.request.path if hasattr(socket, "request") else socket.path
        self.paths.append(path)
        self.subprotocols.append(socket.subprotocol)
        self.station = CentralSystem(path.strip("/"), socket, self)
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.station.start()

    def stop(self) -> None:
        """Close the server and every connection."""
        assert self._loop is not None and self._stop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self.station = None

    def call(self, payload: Any, timeout: float = 10.0, valid: bool = True) -> Any:
        """Send a request to the charge point and return its answer; with ``valid`` False
        the request is sent even if it breaks the schema."""
        wait_until(lambda: self.station is not None, timeout, "a charge point connected")
        assert self._loop is not None and self.station is not None
        return asyncio.run_coroutine_threadsafe(self.station.call(
            payload, suppress=False, skip_schema_validation=not valid),
                                                self._loop).result(timeout)

    def send_raw(self, text: str) -> None:
        """Send a frame as it is (for frames the library would not make)."""
        assert self._loop is not None and self.station is not None
        asyncio.run_coroutine_threadsafe(self.station._connection.send(text),
                                         self._loop).result(10)

    def seen(self, action: str) -> list[dict[str, Any]]:
        with self.lock:
            return [payload for name, payload in self.messages if name == action]

    def wait(self, action: str, test: Callable[[dict[str, Any]], bool] = lambda _p: True,
             timeout: float = 15.0) -> dict[str, Any]:
        """The first ``action`` request whose payload passes ``test``."""
        found = wait_until(lambda: next(([p] for p in self.seen(action) if test(p)), None),
                           timeout, f"{action} at the CSMS")  # in a list: {} is a payload too
        return found[0]
