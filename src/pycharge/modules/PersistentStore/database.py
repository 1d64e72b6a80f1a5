"""The key-value table in SQLite, laid out as EVerest's PersistentStore lays it out.

Table ``KVS`` with the text columns ``KEY``, ``VALUE`` and ``TYPE`` and EVerest's type names,
so a database can move between EVerest and pycharge. Each store or delete is one statement in
autocommit mode, journaled in a write-ahead log with ``synchronous=FULL``: after a power cut or
a killed process a key holds its old value or its new one, never half of one, and the file
stays intact.

When the file cannot be used (damaged, not a store, locked by another process, read-only, disk
full) the store logs why and keeps the values in memory, seeded with whatever can still be read
from the file, so the modules using it keep working until the next start. The file is never
deleted or changed in that case: it may be needed to find out what happened.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from pycharge.runtime.durable_sqlite import (
    OPEN_ERRORS,
    UnusableDatabaseError,
    open_durable,
    readable_rows,
    reason,
)

_SCHEMA = "CREATE TABLE IF NOT EXISTS KVS (KEY TEXT UNIQUE, VALUE TEXT, TYPE TEXT)"
_COLUMNS = {"KEY", "VALUE", "TYPE"}


def encode(value: Any) -> tuple[str, str]:
    """(VALUE, TYPE) as EVerest writes them; floats keep every digit (EVerest keeps six)."""
    if value is None:
        return "", "nullptr_t"
    if isinstance(value, bool):
        return ("true" if value else "false"), "bool"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, float):
        return repr(value), "double"
    if isinstance(value, str):
        return value, "std::string"
    return json.dumps(value), "Array" if isinstance(value, list) else "Object"


def decode(text: str | None, type_name: str | None) -> Any:
    """The stored value; ValueError if the row does not hold one of EVerest's types."""
    if type_name == "nullptr_t" or text is None:
        return None
    if type_name == "bool":
        return text == "true"
    if type_name == "int":
        return int(text)
    if type_name == "double":
        return float(text)
    if type_name == "std::string":
        return text
    if type_name in ("Array", "Object"):
        value = json.loads(text)
        if isinstance(value, list) != (type_name == "Array") or not isinstance(value, (list, dict)):
            raise ValueError(f"{type_name} row holds {type(value).__name__}")
        return value
    raise ValueError(f"unknown type {type_name!r}")


def _prepare(db: sqlite3.Connection) -> None:
    db.execute(_SCHEMA)
    columns = {row[1].upper() for row in db.execute("PRAGMA table_info(KVS)")}
    if columns != _COLUMNS:
        raise UnusableDatabaseError(f"its KVS table has other columns ({', '.join(sorted(columns))})")


class KvsDatabase:
    """The values, in the file if possible, in memory otherwise."""

    def __init__(self, path: str, log: logging.Logger, lock_timeout: float = 1.0) -> None:
        self.path = path
        self._log = log
        self._timeout = lock_timeout
        self.persistent = True
        self._db = self._open_file() or self._memory(self._readable_rows())

    def store(self, key: str, value: Any) -> None:
        self._run("INSERT OR REPLACE INTO KVS (KEY, VALUE, TYPE) VALUES (?, ?, ?)",
                  (key, *encode(value)))

    def load(self, key: str) -> Any:
        rows = self._run("SELECT VALUE, TYPE FROM KVS WHERE KEY = ?", (key,))
        if not rows:
            return None
        try:
            return decode(*rows[0])
        except ValueError as exc:
            self._log.error("persistent store: the value of %s cannot be read (%s); answering null",
                            key, exc)
            return None

    def delete(self, key: str) -> None:
        self._run("DELETE FROM KVS WHERE KEY = ?", (key,))

    def exists(self, key: str) -> bool:
        return bool(self._run("SELECT 1 FROM KVS WHERE KEY = ?", (key,)))

    def close(self) -> None:
        self._db.close()

    # -- the file ----------------------------------------------------------------------------------
    def _open_file(self) -> sqlite3.Connection | None:
        try:
            db = open_durable(self.path, self._timeout, _prepare)
        except OPEN_ERRORS as exc:
            self._log.error("persistent store %s cannot be used: %s. Keeping the values in memory "
                            "until the next start.", self.path, reason(exc))
            return None
        self._log.info("persistent store in %s", self.path)
        return db

    def _readable_rows(self) -> list[tuple[Any, ...]]:
        return readable_rows(self.path, "SELECT KEY, VALUE, TYPE FROM KVS", self._timeout)

    def _memory(self, rows: list[tuple[Any, ...]]) -> sqlite3.Connection:
        self.persistent = False
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.execute(_SCHEMA)
        db.executemany("INSERT OR REPLACE INTO KVS (KEY, VALUE, TYPE) VALUES (?, ?, ?)", rows)
        if rows:
            self._log.warning("kept %d value(s) read from %s in memory", len(rows), self.path)
        return db

    def _run(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            if not self.persistent:
                raise
            self._log.error("persistent store %s failed: %s. Keeping the values in memory until "
                            "the next start.", self.path, exc)
            try:
                rows = self._db.execute("SELECT KEY, VALUE, TYPE FROM KVS").fetchall()
            except sqlite3.Error:
                rows = self._readable_rows()
            self._db.close()
            self._db = self._memory(rows)
            return self._db.execute(sql, params).fetchall()
