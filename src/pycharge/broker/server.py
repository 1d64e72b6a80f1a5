"""The embedded broker's listener and event loop: one thread, ``selectors``, non-blocking sockets.

Everything (accepting, reading, routing, writing, keep-alive) happens on that one thread, so
broker state needs no locks. Whatever one connection sends, at worst that connection is closed:
the loop itself never stops before :meth:`EmbeddedBroker.stop`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import selectors
import socket
import threading
import time

from pycharge.broker.codec import MalformedPacketError
from pycharge.broker.connection import Connection
from pycharge.broker.router import Router

log = logging.getLogger("pycharge.broker")

MAX_PACKET_SIZE = 1024 * 1024
_RECV_SIZE = 256 * 1024
_SWEEP_PERIOD = 0.25   # how often keep-alive deadlines are checked


class EmbeddedBroker:
    """A small MQTT 3.1.1 broker for running the whole stack on a laptop (never on the board)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, socket_path: str | None = None,
                 max_packet_size: int = MAX_PACKET_SIZE) -> None:
        self.host = host
        self.port = port
        self.socket_path = socket_path
        self.max_packet_size = max_packet_size
        self.router = Router(self._close)
        self._connections: set[Connection] = set()
        self._pending: set[Connection] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._selector: selectors.BaseSelector | None = None
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    @classmethod
    def start_preferring(cls, port: int, host: str = "127.0.0.1") -> EmbeddedBroker:
        """Start on ``port``, or on any free port if another program holds it."""
        broker = cls(host, port)
        try:
            broker.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            log.debug("port %d is taken; using a free port", port)
            broker = cls(host, 0)
            broker.start()
        return broker

    def start(self) -> None:
        """Bind (errors raise here, in the caller) and serve on a background thread."""
        listener = self._bind()
        self._listener = listener
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ, "listener")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._serve, name="pycharge-broker", daemon=True)
        self._thread.start()
        log.debug("listening on %s", self.socket_path or f"{self.host}:{self.port}")

    def _bind(self) -> socket.socket:
        if self.socket_path:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: object = self.socket_path
        else:
            listener = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET,
                                     socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            address = (self.host, self.port)
        try:
            listener.bind(address)
            listener.listen(128)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        if not self.socket_path:
            self.port = listener.getsockname()[1]
        return listener

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection (no wills) and the listener; wait for the thread to end."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the loop -------------------------------------------------------------------------------
    def _serve(self) -> None:
        next_sweep = time.monotonic() + _SWEEP_PERIOD
        try:
            while not self._stopping.is_set():
                try:
                    events = self._selector.select(max(0.0, next_sweep - time.monotonic()))
                    for key, mask in events:
                        self._dispatch(key.data, mask)
                    self._flush_pending()
                    if time.monotonic() >= next_sweep:
                        self._expire(time.monotonic())
                        self._flush_pending()
                        next_sweep = time.monotonic() + _SWEEP_PERIOD
                except Exception as exc:  # a broker bug must not end the loop
                    log.debug("unexpected error in the broker loop: %r", exc)
        finally:
            self._shutdown()

    def _dispatch(self, data: object, mask: int) -> None:
        if data == "listener":
            self._accept()
        elif data == "wake":
            self._wake_r.recv(64)
        else:
            if mask & selectors.EVENT_WRITE:
                self._flush(data)
            if mask & selectors.EVENT_READ:
                self._read(data)

    def _accept(self) -> None:
        while True:
            try:
                sock, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:   # e.g. out of file descriptors: try again next round
                log.debug("accept failed: %s", exc)
                return
            sock.setblocking(False)
            if sock.family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            name = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "unix socket"
            conn = Connection(sock, name, self.max_packet_size, time.monotonic(), self._mark_pending)
            self._connections.add(conn)
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def _read(self, conn: Connection) -> None:
        if conn.closed:
            return
        try:
            data = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._close(conn, f"read failed: {exc}")
            return
        if not data:
            self._close(conn, "connection closed by the client")
            return
        conn.reader.feed(data)
        try:
            while not conn.closed:
                frame = conn.reader.next_frame()
                if frame is None:
                    return
                conn.last_packet = time.monotonic()
                self.router.handle(conn, *frame)
        except MalformedPacketError as exc:
            self._close(conn, f"malformed packet: {exc}")
        except Exception as exc:  # whatever went wrong, it ends this connection only
            self._close(conn, f"internal error: {exc!r}")

    def _flush(self, conn: Connection) -> None:
        if conn.closed:
            return
        try:
            done = conn.flush()
        except OSError as exc:
            self._close(conn, f"write failed: {exc}")
            return
        if done == conn.writing:
            conn.writing = not done
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.writing else 0)
            self._selector.modify(conn.sock, events, conn)

    def _mark_pending(self, conn: Connection) -> None:
        self._pending.add(conn)

    def _flush_pending(self) -> None:
        while self._pending:
            pending, self._pending = self._pending, set()
            for conn in pending:
                self._flush(conn)

    def _expire(self, now: float) -> None:
        for conn in [c for c in self._connections if c.deadline < now]:
            reason = "no CONNECT" if conn.client_id is None else "keep-alive expired"
            self._close(conn, reason)

    def _close(self, conn: Connection, reason: str) -> None:
        """Close one connection (flushing what is queued, if the socket takes it)."""
        if conn.closed:
            return
        log.debug("closing %r: %s", conn, reason)
        with contextlib.suppress(OSError):
            conn.flush()
        conn.closed = True
        self._connections.discard(conn)
        self._pending.discard(conn)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.sock)
        conn.sock.close()
        self.router.connection_lost(conn)

    def _shutdown(self) -> None:
        for conn in list(self._connections):
            conn.will = None
            self._close(conn, "broker stopping")
        self._selector.close()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        if self.socket_path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.socket_path)
        log.debug("stopped")
