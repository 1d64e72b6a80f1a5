"""Transaction messages in SQLite until the CSMS has answered them, oldest first.

Start/StopTransaction and the MeterValues of a transaction must reach the CSMS even if it is
away when they happen (OCPP 1.6 §4.10). Each is stored before it is sent and deleted once
answered; a message is on disk before :meth:`MessageQueue.put` returns, on the thread that
made it, so a power cut right after the event loses nothing. A transaction is known by a
local id until StartTransaction's answer gives the CSMS's transactionId, which is then filled
into its later messages.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL, payload TEXT NOT NULL,
    local_tx TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (local_tx TEXT PRIMARY KEY, transaction_id INTEGER NOT NULL);
"""


class MessageQueue:
    """Used from the module's thread (put) and the websocket's (the rest), one at a time."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.db = sqlite3.connect(directory / "transactions.db", isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def put(self, action: str, payload: dict[str, Any], local_tx: str) -> None:
        self._run("INSERT INTO messages (action, payload, local_tx) VALUES (?, ?, ?)",
                  (action, json.dumps(payload), local_tx))

    def first(self) -> tuple[int, str, dict[str, Any], str] | None:
        """The oldest message: (seq, action, payload with its transactionId, local id)."""
        rows = self._run("SELECT seq, action, payload, local_tx FROM messages "
                         "ORDER BY seq LIMIT 1")
        if not rows:
            return None
        seq, action, text, local_tx = rows[0]
        payload = json.loads(text)
        if action != "StartTransaction" and local_tx:  # "": a message of no transaction
            known = self.transaction_id(local_tx)
            payload["transaction_id"] = known if known is not None else -1
        return seq, action, payload, local_tx

    def done(self, seq: int) -> None:
        self._run("DELETE FROM messages WHERE seq = ?", (seq,))

    def started(self, local_tx: str, transaction_id: int) -> None:
        self._run("INSERT OR REPLACE INTO transactions VALUES (?, ?)", (local_tx, transaction_id))

    def transaction_id(self, local_tx: str) -> int | None:
        rows = self._run("SELECT transaction_id FROM transactions WHERE local_tx = ?", (local_tx,))
        return rows[0][0] if rows else None

    def close(self) -> None:
        with self.lock:
            self.db.close()
