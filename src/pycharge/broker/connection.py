"""One client connection: its non-blocking socket, its buffers and its session state.

Sessions are clean: everything here lives exactly as long as the socket. Outgoing data is
buffered and written when the socket can take it, so a slow client never stalls the broker;
a client that stops reading altogether loses messages once its backlog passes a limit.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from pycharge.broker import codec
from pycharge.broker.codec import FrameReader, Will

log = logging.getLogger("pycharge.broker")

CONNECT_TIMEOUT = 10.0   # seconds a new socket may take to send CONNECT
KEEPALIVE_GRACE = 1.5    # MQTT 3.1.1 section 3.1.2.10
MAX_BACKLOG = 16 * 1024 * 1024
_SEND_CHUNK = 256 * 1024


class Connection:
    """A client socket plus the MQTT state of its (clean) session."""

    def __init__(self, sock: socket.socket, peer: str, max_packet_size: int, now: float,
                 on_pending: Callable[[Connection], None]) -> None:
        self.sock = sock
        self.peer = peer
        self.reader = FrameReader(max_packet_size)
        self.last_packet = now
        self.client_id: str | None = None
        self.keepalive = 0
        self.will: Will | None = None
        self.filters: dict[str, int] = {}
        self.unacknowledged: set[int] = set()    # QoS 1 messages sent, PUBACK not seen yet
        self.qos2_received: set[int] = set()     # QoS 2 messages delivered, PUBREL not seen yet
        self.closed = False
        self.writing = False                     # registered for EVENT_WRITE
        self.dropped = 0
        self._on_pending = on_pending
        self._out = bytearray()
        self._out_pos = 0
        self._last_id = 0

    def __repr__(self) -> str:
        return f"<client {self.client_id!r} at {self.peer}>"

    @property
    def deadline(self) -> float:
        """When silence from the client ends the connection."""
        if self.client_id is None:
            return self.last_packet + CONNECT_TIMEOUT
        if self.keepalive:
            return self.last_packet + KEEPALIVE_GRACE * self.keepalive
        return float("inf")

    @property
    def backlog(self) -> int:
        return len(self._out) - self._out_pos

    def send(self, data: bytes) -> None:
        """Queue bytes for the client; they go out when the broker's loop flushes."""
        if self.closed:
            return
        if not self.backlog:
            self._on_pending(self)
        self._out += data

    def deliver(self, topic: bytes, payload: bytes, qos: int, retain: bool) -> None:
        """Send a message at QoS 0 or 1, or drop it if the client stopped reading."""
        if self.backlog > MAX_BACKLOG:
            self._drop(topic, "backlog full")
            return
        packet_id = 0
        if qos:
            packet_id = self._free_packet_id()
            if not packet_id:
                self._drop(topic, "no free packet identifier")
                return
            self.unacknowledged.add(packet_id)
        self.send(codec.encode_publish(topic, payload, qos, retain, packet_id))

    def _drop(self, topic: bytes, reason: str) -> None:
        self.dropped += 1
        log.debug("dropped a message on %s for %r: %s", topic.decode(errors="replace"), self, reason)

    def _free_packet_id(self) -> int:
        """The next identifier not in flight, or 0 when all 65535 are."""
        if len(self.unacknowledged) >= 65535:
            return 0
        packet_id = self._last_id
        while True:
            packet_id = packet_id % 65535 + 1
            if packet_id not in self.unacknowledged:
                self._last_id = packet_id
                return packet_id

    def flush(self) -> bool:
        """Write what the socket takes now; True when nothing is left. Raises OSError."""
        while self.backlog:
            try:
                sent = self.sock.send(memoryview(self._out)[self._out_pos:self._out_pos + _SEND_CHUNK])
            except (BlockingIOError, InterruptedError):
                break
            self._out_pos += sent
        if self._out_pos == len(self._out):
            self._out.clear()
            self._out_pos = 0
            return True
        if self._out_pos > _SEND_CHUNK:
            del self._out[:self._out_pos]
            self._out_pos = 0
        return False
