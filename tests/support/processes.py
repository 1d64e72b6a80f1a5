"""Watching a child process's output for a line, without blocking forever."""

from __future__ import annotations

import threading
from typing import IO


class OutputWatcher:
    """Collects the lines of ``stream`` on a thread; :meth:`wait_for` waits for a text."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """Return the first line containing ``text``; fail if it does not come in time."""
        def found() -> str | None:
            return next((line for line in self.lines if text in line), None)

        with self._changed:
            self._changed.wait_for(lambda: found() or self._closed, timeout)
            line = found()
            if line is None:
                raise AssertionError(f"'{text}' did not appear within {timeout} s; output:\n"
                                     + "".join(self.lines[-30:]))
            return line

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)
