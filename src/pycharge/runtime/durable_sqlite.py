"""SQLite files that keep their records through a power cut, and what is left when they cannot.

The record-keeping modules (ErrorHistory, PersistentStore) open their files the same way: a
write-ahead log with ``synchronous=FULL`` in autocommit mode, so a power cut or a killed process
loses at most the statement being written and never corrupts the file. A file that cannot be
used is left as it is (it may be needed to find out what happened); whatever can still be read
from it seeds the in-memory copy the module then carries on with.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any


class UnusableDatabaseError(Exception):
    """The file is a database, but not one the module can keep its records in."""


# What opening a file may raise: the caller logs it and carries on in memory.
OPEN_ERRORS = (sqlite3.Error, OSError, UnusableDatabaseError)


def open_durable(path: str, timeout: float, prepare: Callable[[sqlite3.Connection], None],
                 check_same_thread: bool = True) -> sqlite3.Connection:
    """Open ``path`` (created with its folder if missing), check it, then let ``prepare``
    check or create the module's tables. Raises one of :data:`OPEN_ERRORS`.

    ``check_same_thread`` False: for a caller that serialises its threads' use itself."""
    db = None
    try:
        Path(path).absolute().parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                             check_same_thread=check_same_thread)
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise UnusableDatabaseError("it cannot use a write-ahead log")
        db.execute("PRAGMA synchronous=FULL")
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise UnusableDatabaseError(f"it is damaged ({verdict})")
        prepare(db)
    except BaseException:
        if db is not None:
            db.close()
        raise
    return db


def open_or_in_memory(path: Path, timeout: float, schema: str, what: str,
                      log: logging.Logger) -> sqlite3.Connection:
    """:func:`open_durable` with ``schema`` (a script); if the file cannot be used it is kept
    and ``what`` lives in memory from now on (logged)."""
    try:
        return open_durable(str(path), timeout, lambda db: db.executescript(schema))
    except OPEN_ERRORS as exc:
        log.error("%s: cannot keep %s in it (%s); keeping them in memory", path, what,
                  reason(exc))
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(schema)
        return db


def reason(exc: BaseException) -> str:
    """The short why of an :data:`OPEN_ERRORS` exception, for the log."""
    return str(exc.args[0]) if exc.args else type(exc).__name__


def readable_rows(path: str, query: str, timeout: float) -> list[tuple[Any, ...]]:
    """The rows ``query`` still finds in the file, opened read-only (none if unreadable)."""
    uri = Path(path).absolute().as_uri()
    for options in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            source = sqlite3.connect(uri + options, uri=True, timeout=timeout)
            try:
                return source.execute(query).fetchall()
            finally:
                source.close()
        except sqlite3.Error:
            continue
    return []
