"""The websocket to the CSMS: an asyncio loop on a thread of the module.

It connects to the module's :class:`~pycharge.modules.OCPP.security.Endpoint` (asked anew for
every attempt, so that new certificates count) with subprotocol ocpp1.6, retries with back-off
while the CSMS is away, sends BootNotification until it is Accepted, then Heartbeat at the
interval and the queued transaction messages in order. Other threads hand it messages with
:meth:`Link.send` (dropped while offline) and :meth:`Link.enqueue` (kept in SQLite). A failed
attempt that is a security event (the CSMS's certificate, or the CSMS refusing ours) is queued
as a SecurityEventNotification, once per kind until the next accepted BootNotification.

While idle the loop sleeps on timers and events only: :meth:`Link.close` (the module's
shutdown) wakes it to stop, nothing polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from pycharge.modules.OCPP.charge_point import Station, StationChargePoint
from pycharge.modules.OCPP.queue import MessageQueue
from pycharge.modules.OCPP.security import Endpoint, failure_event

BACKOFF_S = (1, 2, 4, 8, 16, 30)
RESPONSE_TIMEOUT_S = 10
log = logging.getLogger("pycharge.module.ocpp.link")


class Link:
    def __init__(self, endpoint: Callable[[], Endpoint], cp_id: str, station: Station,
                 on_module: Callable[..., Future], settings: Callable[[str], Any],
                 database: Path, on_state: Callable[[bool, dict[str, Any] | None], None],
                 started: Callable[[str, int, str, dict[str, Any]], None],
                 stopping: threading.Event) -> None:
        self.endpoint, self.cp_id, self.station = endpoint, cp_id, station
        self.url = ""  # of the latest attempt, for the log
        self._on_module, self._settings = on_module, settings
        self._on_state, self._started, self._stopping = on_state, started, stopping
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queued: asyncio.Event | None = None
        self._halt: asyncio.Event | None = None  # set (on the loop) once the module stops
        self._reported: set[str] = set()  # security events of failed attempts, this outage
        self._queue = MessageQueue(database)
        self.cp: StationChargePoint | None = None
        self._failures = 0  # connection attempts since the last accepted BootNotification

    def run(self) -> None:
        asyncio.run(self._main())

    async def _on_module_async(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the module's thread; a Future it returns is awaited too (for
        answers that need another module's reply)."""
        result = await asyncio.wrap_future(self._on_module(fn, *args))
        return await asyncio.wrap_future(result) if isinstance(result, Future) else result

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queued, self._halt = asyncio.Event(), asyncio.Event()
        while not self._stopping.is_set():  # checked after _halt exists: close() sees it
            try:
                await self._session()
            except Exception as exc:  # refused, closed, timed out: all retried
                self._failed(exc)
            if self._stopping.is_set():
                break
            self._on_state(False, None)
            await self._pause(BACKOFF_S[min(self._failures, len(BACKOFF_S) - 1)])
            self._failures += 1

    def _failed(self, exc: Exception) -> None:
        report = failure_event(exc)
        log.warning("CSMS %s: %s%s", self.url or self.cp_id, exc,
                    f" ({report['type']}: {report.get('tech_info')})" if report else "")
        if report is not None and report["type"] not in self._reported:
            self._reported.add(report["type"])
            self.security_event(report)

    async def _pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (inf: until stopped), or less once the module stops; False then.

        Loops end on False themselves: a cancel that arrives as the wait ends can be lost
        (asyncio.wait_for before Python 3.12), and the socket is gone by then."""
        if not self._stopping.is_set() and self._halt is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._halt.wait(), None if seconds == float("inf")
                                       else seconds)
        return not self._stopping.is_set()

    async def _session(self) -> None:
        import websockets

        endpoint: Endpoint = await self._on_module_async(self.endpoint)
        self.url = endpoint.url
        options: dict[str, Any] = {"additional_headers" if int(
            websockets.__version__.split(".")[0]) >= 14 else "extra_headers": endpoint.headers}
        if endpoint.tls is not None:  # websockets 10 (kirkstone's) takes no ssl for ws://
            options["ssl"] = endpoint.tls
        async with websockets.connect(endpoint.url, subprotocols=["ocpp1.6"],
                                      **options) as socket:
            self.cp = StationChargePoint(self.cp_id, socket, self.station,
                                         self._on_module_async, RESPONSE_TIMEOUT_S)
            tasks = [asyncio.ensure_future(self.cp.start()),
                     asyncio.ensure_future(self._registered())]
            tasks.append(asyncio.ensure_future(self._until_stopping()))
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # a closed connection shows here
            finally:
                for task in tasks:
                    task.cancel()
                self.cp = None

    async def _until_stopping(self) -> None:
        await self._pause(float("inf"))

    async def _registered(self) -> None:
        from ocpp.v16 import call

        while True:
            answer = await self.cp.call(call.BootNotification(
                charge_point_model=self._settings("ChargePointModel"),
                charge_point_vendor=self._settings("ChargePointVendor"),
                charge_box_serial_number=self._settings("ChargeBoxSerialNumber"),
                firmware_version=self._settings("FirmwareVersion")))
            if answer is not None and answer.status == "Accepted":
                break
            interval = answer.interval if answer is not None and answer.interval > 0 else 10
            log.info("BootNotification %s: again in %d s",
                     answer.status if answer else "failed", interval)
            if not await self._pause(interval):
                return
        self._failures = 0
        self._reported.clear()
        self._on_state(True, {"interval": answer.interval})
        resume = self._settings("MessageQueueResumeDelay") or 0
        drain = asyncio.ensure_future(self._drain(resume))
        try:
            await self._heartbeats()
        finally:
            drain.cancel()

    async def _heartbeats(self) -> None:
        from ocpp.v16 import call

        while True:
            if not await self._pause(self._settings("HeartbeatInterval") or 60):
                return
            await self.cp.call(call.Heartbeat())

    async def _drain(self, resume_delay: float) -> None:
        """Send the queued messages in order; each stays queued until it is answered."""
        from ocpp.v16 import call

        if not await self._pause(resume_delay):
            return
        while True:
            head = self._queue.first()
            if head is None:
                self._queued.clear()
                await self._queued.wait()
                continue
            seq, action, payload, local_tx = head
            try:
                answer = await self.cp.call(getattr(call, action)(**payload))
            except asyncio.TimeoutError:
                if not await self._pause(self._settings("TransactionMessageRetryInterval") or 10):
                    return
                continue  # still queued: sent again
            started = None
            if action == "StartTransaction" and answer is not None:
                started = (local_tx, answer.transaction_id)
            if answer is None:
                log.error("%s was answered with a CALLERROR; dropped", action)
            self._queue.done(seq, started)
            if started is not None:
                self._started(*started, payload["id_tag"], answer.id_tag_info)

    # -- from other threads -------------------------------------------------------------------
    def close(self) -> None:
        """Once the module stops: the loop is woken to end, the queue's file is closed (its
        messages stay in it)."""
        if self._loop is not None and self._halt is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                self._loop.call_soon_threadsafe(self._halt.set)
        self._queue.close()

    def security_event(self, payload: dict[str, Any]) -> None:
        """Queue a SecurityEventNotification (kept until the CSMS has it), unless
        DisableSecurityEventNotifications."""
        if not self._settings("DisableSecurityEventNotifications"):
            self.enqueue("SecurityEventNotification", payload, "")

    def send(self, action: str, payload: dict[str, Any]) -> None:
        """Send a message that is only worth sending now (status, meter values without a
        transaction); dropped while there is no connection."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(asyncio.ensure_future, self._send(action, payload))

    async def _send(self, action: str, payload: dict[str, Any]) -> None:
        from ocpp.v16 import call

        if self.cp is not None:
            with contextlib.suppress(Exception):
                await self.cp.call(getattr(call, action)(**payload))

    def enqueue(self, action: str, payload: dict[str, Any], local_tx: str) -> None:
        """Keep a transaction message (on disk when this returns) until the CSMS answered it."""
        self._queue.put(action, payload, local_tx)
        if self._loop is not None and not self._loop.is_closed() and self._queued is not None:
            self._loop.call_soon_threadsafe(self._queued.set)

    def request(self, action: str, payload: dict[str, Any]) -> Future:
        """Send a message and get its answer (None if offline or on a CALLERROR)."""
        async def ask() -> Any:
            from ocpp.v16 import call
            return None if self.cp is None else await self.cp.call(getattr(call, action)(**payload))
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(ask(), self._loop)
