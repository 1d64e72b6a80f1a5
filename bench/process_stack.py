"""``pycharge run --sim CONFIG`` as a child process, timed from the outside.

Start-up is timed from just before exec to the manager's systemd ``READY=1`` (sent once every
module is ready; we hand the child a NOTIFY_SOCKET of our own) and to the board driver's first
classified CP sample (its log line ``CP state change from ...``); stopping from SIGTERM to the
exit of the process. Messages are timestamped as they arrive, on reader threads.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from bench.procfs import family
from pycharge.runtime.mqtt import BrokerAddress

FIRST_CP_MARK = "CP state change from"


class StackProcess:
    """One ``pycharge run`` child; :meth:`start`, wait for its milestones, :meth:`stop`."""

    def __init__(self, config: Path, broker: BrokerAddress, per_module: bool,
                 workdir: Path) -> None:
        self.command = [sys.executable, "-m", "pycharge", "run", str(config), "--sim",
                        "--broker", str(broker), *(["--process-per-module"] if per_module else [])]
        self._socket_path = workdir / f"notify-{id(self)}"
        self.output: deque[str] = deque(maxlen=200)
        self.started = 0.0
        self._ready: float | None = None
        self._first_cp: float | None = None
        self._changed = threading.Condition()
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(self._socket_path))
        env = dict(os.environ, NOTIFY_SOCKET=str(self._socket_path))
        env.pop("WATCHDOG_USEC", None)
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.command, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True, errors="replace")
        threading.Thread(target=self._read_notify, args=(notify,), daemon=True).start()
        threading.Thread(target=self._read_output, daemon=True).start()

    def _read_notify(self, notify: socket.socket) -> None:
        """Until the child exits: it keeps feeding the watchdog after READY=1, and a socket
        nobody reads would make it log "cannot notify systemd" every second."""
        with notify:
            notify.settimeout(1.0)
            while self.process is not None and self.process.poll() is None:
                try:
                    message = notify.recv(4096).decode(errors="replace")
                except TimeoutError:
                    continue
                if "READY=1" in message.split("\n") and self._ready is None:
                    self._mark("_ready")

    def _read_output(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            if self._first_cp is None and FIRST_CP_MARK in line:
                self._mark("_first_cp")
            self.output.append(line.rstrip("\n"))
        with self._changed:
            self._changed.notify_all()

    def _mark(self, attribute: str) -> None:
        with self._changed:
            setattr(self, attribute, time.monotonic())
            self._changed.notify_all()

    def _wait(self, attribute: str, what: str, timeout: float) -> float:
        with self._changed:
            self._changed.wait_for(lambda: getattr(self, attribute) is not None
                                   or self.process.poll() is not None, timeout)
            at = getattr(self, attribute)
        if at is None:
            status = self.process.poll()
            why = f"exited with {status}" if status is not None else f"not within {timeout:.0f} s"
            raise RuntimeError(f"{' '.join(self.command)}: no {what} ({why}); its last output:\n"
                               + "\n".join(list(self.output)[-15:]))
        return at - self.started

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds from exec to READY=1 (every module ready)."""
        return self._wait("_ready", "READY=1", timeout)

    def wait_first_cp(self, timeout: float = 60.0) -> float:
        """Seconds from exec to the driver's first classified CP sample."""
        return self._wait("_first_cp", f"'{FIRST_CP_MARK}' line", timeout)

    def stop(self, timeout: float = 30.0) -> tuple[float, int]:
        """SIGTERM; (seconds until the process exited, its exit status); killed if it hangs."""
        assert self.process is not None
        stopping = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        return time.monotonic() - stopping, status

    def kill(self) -> None:
        """Make sure nothing is left behind after a failure, module children included."""
        if self.process is None or self.process.poll() is not None:
            return
        for pid in reversed(family(self.process.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
