"""The error history's SQLite database, and what happens when it cannot be used.

Durability: WAL journal with ``synchronous=FULL`` and one transaction per event, so a power cut
loses at most the event being written and never corrupts the file. The table is EVerest's (same
name and columns), so a database of EVerest's ErrorHistory can be read here and the other way
round.

When the file cannot be used (damaged, not an error history, locked by another process,
read-only, disk full) the store logs why and carries on with a database in memory, seeded with
whatever can still be read from the file: the charger keeps charging and the history stays
queryable. The next start that finds the file usable makes the history persistent again. An
unusable file is never deleted or changed: it may be needed to find out what happened.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from pycharge.modules.ErrorHistory.query import COLUMNS, bad_times, condition, error_object
from pycharge.runtime.durable_sqlite import (
    OPEN_ERRORS,
    UnusableDatabaseError,
    open_durable,
    readable_rows,
    reason,
)
from pycharge.runtime.errors import CLEARED_BY_REBOOT, Error

_SCHEMA = ("CREATE TABLE errors(uuid TEXT PRIMARY KEY NOT NULL, "
           + ", ".join(f"{c} TEXT NOT NULL" for c in COLUMNS[1:]) + ")")
_ALL = ", ".join(COLUMNS)
_INSERT = f"INSERT INTO errors({_ALL}) VALUES ({', '.join('?' for _ in COLUMNS)})"
# A raise for a uuid we already hold (a still-active error seen again after our restart)
# makes it active again instead of adding a second row.
_UPSERT = _INSERT + " ON CONFLICT(uuid) DO UPDATE SET state = excluded.state"
_REBOOT = f"UPDATE errors SET state = '{CLEARED_BY_REBOOT}' WHERE state = 'Active'"


def _check_schema(db: sqlite3.Connection) -> None:
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    if not tables:
        _in_transaction(db, _SCHEMA, [()])
    elif "errors" not in tables:
        raise UnusableDatabaseError(f"it is not an error history (tables: {', '.join(tables)})")
    else:
        columns = {r[1] for r in db.execute("PRAGMA table_info(errors)")}
        if columns != set(COLUMNS):
            raise UnusableDatabaseError(f"its errors table has other columns ({', '.join(sorted(columns))})")


def _row(error: Error) -> tuple[str, ...]:
    return (error.uuid, error.type, error.description, error.message,
            str(error.origin.get("module_id", "")), str(error.origin.get("implementation_id", "")),
            error.timestamp, error.severity, error.state, error.sub_type, error.vendor_id)


def _in_transaction(db: sqlite3.Connection, sql: str, params: Iterable[Sequence[Any]]) -> int:
    """Run ``sql`` once per parameter set, all in one transaction; return the rows changed."""
    db.execute("BEGIN IMMEDIATE")
    try:
        changed = sum(db.execute(sql, p).rowcount for p in params)
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    return changed


class ErrorStore:
    """Every error raised or cleared, in a file if possible, in memory otherwise."""

    def __init__(self, path: str, log: logging.Logger, lock_timeout: float = 1.0) -> None:
        self.path = path
        self._log = log
        self._timeout = lock_timeout
        self.persistent = True
        self._db = self._open_file() or self._memory(self._readable_rows(), after_restart=True)

    # -- events ----------------------------------------------------------------------------------
    def add(self, error: Error) -> None:
        self._write(_UPSERT, _row(error))

    def clear(self, error: Error) -> None:
        if self._write("UPDATE errors SET state = ? WHERE uuid = ?", (error.state, error.uuid)) == 0:
            self._log.debug("%s %s was cleared before we saw it raised", error.type, error.uuid)
            self.add(error)

    def query(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """The errors passing every filter, in the order they were first seen."""
        wrong = bad_times(filters, self._is_time)
        if wrong:
            self._log.error("get_errors: not a time: %s; answering with no errors", ", ".join(wrong))
            return []
        where, params = condition(filters)
        rows = self._read(f"SELECT {_ALL} FROM errors WHERE {where} ORDER BY rowid", params)
        return [error_object(dict(zip(COLUMNS, row, strict=True))) for row in rows]

    def close(self) -> None:
        self._db.close()

    # -- the file ----------------------------------------------------------------------------------
    def _open_file(self) -> sqlite3.Connection | None:
        cleared = 0

        def prepare(db: sqlite3.Connection) -> None:
            nonlocal cleared
            _check_schema(db)
            cleared = _in_transaction(db, _REBOOT, [()])

        try:
            db = open_durable(self.path, self._timeout, prepare)
        except OPEN_ERRORS as exc:
            self._log.error("error history database %s cannot be used: %s. Keeping the history in "
                            "memory until the next start; charging is not affected.", self.path,
                            reason(exc))
            return None
        self._log.info("error history in %s; %d error(s) from before the restart marked %s",
                       self.path, cleared, CLEARED_BY_REBOOT)
        return db

    def _readable_rows(self) -> list[tuple[str, ...]]:
        return readable_rows(self.path, f"SELECT {_ALL} FROM errors ORDER BY rowid", self._timeout)

    # -- memory --------------------------------------------------------------------------------------
    def _memory(self, rows: list[tuple[str, ...]], after_restart: bool) -> sqlite3.Connection:
        self.persistent = False
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.execute(_SCHEMA)
        _in_transaction(db, _INSERT, rows)
        if after_restart:
            _in_transaction(db, _REBOOT, [()])
        if rows:
            self._log.warning("kept %d error(s) read from %s in memory", len(rows), self.path)
        return db

    def _fall_back(self, what: str, exc: sqlite3.Error) -> None:
        self._log.error("error history database %s failed while %s: %s. Keeping the history in "
                        "memory until the next start; charging is not affected.", self.path, what, exc)
        try:
            rows = self._db.execute(f"SELECT {_ALL} FROM errors ORDER BY rowid").fetchall()
        except sqlite3.Error:
            rows = self._readable_rows()
        self._db.close()
        self._db = self._memory(rows, after_restart=False)

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        try:
            return _in_transaction(self._db, sql, [params])
        except sqlite3.Error as exc:
            if not self.persistent:
                raise
            self._fall_back("writing", exc)
            return _in_transaction(self._db, sql, [params])

    def _read(self, sql: str, params: Sequence[Any]) -> list[tuple[str, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            if not self.persistent:
                raise
            self._fall_back("reading", exc)
            return self._db.execute(sql, params).fetchall()

    def _is_time(self, text: str) -> bool:
        return self._db.execute("SELECT julianday(?)", (text,)).fetchone()[0] is not None
