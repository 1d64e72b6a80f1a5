"""systemd's notify protocol: one datagram to $NOTIFY_SOCKET, no library needed."""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger("pycharge.systemd")


class Notifier:
    """Sends READY, WATCHDOG, STATUS and STOPPING when run under systemd; no-op elsewhere."""

    def __init__(self) -> None:
        self._address = os.environ.get("NOTIFY_SOCKET")
        if self._address and self._address.startswith("@"):
            self._address = "\0" + self._address[1:]
        usec = os.environ.get("WATCHDOG_USEC", "")
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() else None
        self._last_feed = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def send(self, state: str) -> None:
        if not self._address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                # Never block: a reader that does not read must not stall the supervisor.
                sock.sendto(state.encode(), socket.MSG_DONTWAIT, self._address)
        except OSError as exc:  # BlockingIOError included
            log.warning("cannot notify systemd (%s): %s", state.split("=", maxsplit=1)[0], exc)

    def feed_watchdog(self) -> None:
        """WATCHDOG=1 at half the interval systemd asked for (or once a second without one)."""
        now = time.monotonic()
        if now - self._last_feed >= (self.watchdog_interval or 1.0):
            self._last_feed = now
            self.send("WATCHDOG=1")
