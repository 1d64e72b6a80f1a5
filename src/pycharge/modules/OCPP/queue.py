"""Transaction messages in SQLite until the CSMS has answered them, oldest first.

Start/StopTransaction and the MeterValues of a transaction must reach the CSMS even if it is
away when they happen (OCPP 1.6 §4.10). Each is stored before it is sent and deleted once
answered; a message is on disk before :meth:`MessageQueue.put` returns, on the thread that
made it, so a power cut or a kill -9 right after the event loses nothing (a write-ahead log
with ``synchronous=FULL``, see runtime/durable_sqlite.py). A transaction is known by a local id
until StartTransaction's answer gives the CSMS's transactionId, which is then filled into its
later messages; that id and the deletion of the answered message are one SQLite transaction,
so a kill between them cannot send a StartTransaction twice.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from pycharge.runtime.durable_sqlite import OPEN_ERRORS, open_durable, reason

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL, payload TEXT NOT NULL,
    local_tx TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (local_tx TEXT PRIMARY KEY, transaction_id INTEGER NOT NULL);
"""
TIMEOUT_S = 5.0
log = logging.getLogger("pycharge.module.ocpp.queue")


def open_queue(path: Path) -> sqlite3.Connection:
    """The queue's file; if it cannot be used, a queue in memory (logged: it does not outlive
    the process, but the charger keeps reporting while it runs)."""
    try:
        return open_durable(str(path), TIMEOUT_S, lambda db: db.executescript(SCHEMA),
                            check_same_thread=False)
    except OPEN_ERRORS as exc:
        log.error("%s: cannot keep the OCPP message queue in it (%s); queueing in memory",
                  path, reason(exc))
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        db.executescript(SCHEMA)
        return db


class MessageQueue:
    """Used from the module's thread (put) and the websocket's (the rest), one at a time."""

    def __init__(self, directory: Path) -> None:
        self.lock = threading.Lock()
        self.db = open_queue(directory / "transactions.db")

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

    def done(self, seq: int, started: tuple[str, int] | None = None) -> None:
        """Message ``seq`` was answered; ``started`` (local id, transactionId) if it was a
        StartTransaction. The id of a transaction whose StopTransaction this was is dropped."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if started is not None:
                    self.db.execute("INSERT OR REPLACE INTO transactions VALUES (?, ?)", started)
                self.db.execute(
                    "DELETE FROM transactions WHERE local_tx IN (SELECT local_tx FROM messages "
                    "WHERE seq = ? AND action = 'StopTransaction')", (seq,))
                self.db.execute("DELETE FROM messages WHERE seq = ?", (seq,))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def transaction_id(self, local_tx: str) -> int | None:
        rows = self._run("SELECT transaction_id FROM transactions WHERE local_tx = ?", (local_tx,))
        return rows[0][0] if rows else None

    def close(self) -> None:
        with self.lock:
            self.db.close()
