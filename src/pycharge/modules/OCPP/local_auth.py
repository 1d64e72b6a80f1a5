"""The Local Authorization List and the Authorization Cache (OCPP 1.6 §3.5), in SQLite.

The CSMS sends the list (SendLocalList, full or differential, each with a version); the cache
keeps the idTagInfo of every Authorize and StartTransaction answer for a tag that is not on the
list. Both live in ``authorization.db`` under ``DatabasePath`` (write-ahead log,
``synchronous=FULL``), so a charger that restarts while the CSMS is away still knows its cards.
A file that cannot be used is kept and both carry on in memory (logged). Only the module's
thread uses them.
"""

from __future__ import annotations

import datetime
import json
import logging
from pathlib import Path
from typing import Any

from pycharge.runtime.durable_sqlite import open_or_in_memory

SCHEMA = """
CREATE TABLE IF NOT EXISTS local_list (id_tag TEXT PRIMARY KEY, info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cache (id_tag TEXT PRIMARY KEY, info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS list_version (one INTEGER PRIMARY KEY CHECK (one = 1),
                                         version INTEGER NOT NULL);
"""
TIMEOUT_S = 5.0
log = logging.getLogger("pycharge.module.ocpp.local_auth")


def status_of(info: dict[str, Any]) -> str:
    """An idTagInfo's status, Expired once its expiryDate has passed."""
    expiry = info.get("expiry_date")
    if expiry and info["status"] == "Accepted":
        try:
            moment = datetime.datetime.fromisoformat(expiry.replace("Z", "+00:00"))
        except ValueError:
            return "Invalid"  # a date nobody can check is no authorization
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        if moment <= datetime.datetime.now(datetime.timezone.utc):
            return "Expired"
    return info["status"]


class LocalAuthorization:
    def __init__(self, directory: Path) -> None:
        self.db = open_or_in_memory(directory / "authorization.db", TIMEOUT_S, SCHEMA,
                                    "the local list and cache", log)

    def close(self) -> None:
        self.db.close()

    # -- the Local Authorization List -----------------------------------------------------------
    def version(self) -> int:
        row = self.db.execute("SELECT version FROM list_version").fetchone()
        return row[0] if row else 0

    def entries(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM local_list").fetchone()[0]

    def update(self, version: int, update_type: str, entries: list[dict[str, Any]],
               max_length: int) -> str:
        """SendLocalList: Accepted, VersionMismatch or Failed (the list stays as it was)."""
        if update_type == "Differential" and version <= self.version():
            return "VersionMismatch"
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if update_type == "Full":
                self.db.execute("DELETE FROM local_list")
            for entry in entries:
                info = entry.get("id_tag_info")
                if info is None:
                    self.db.execute("DELETE FROM local_list WHERE id_tag = ?", (entry["id_tag"],))
                else:
                    self.db.execute("INSERT OR REPLACE INTO local_list VALUES (?, ?)",
                                    (entry["id_tag"], json.dumps(info)))
            if self.entries() > max_length:
                self.db.execute("ROLLBACK")
                return "Failed"
            self.db.execute("DELETE FROM cache WHERE id_tag IN (SELECT id_tag FROM local_list)")
            self.db.execute("INSERT OR REPLACE INTO list_version VALUES (1, ?)", (version,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return "Accepted"

    def listed(self, id_tag: str) -> dict[str, Any] | None:
        return self._info("local_list", id_tag)

    # -- the Authorization Cache ----------------------------------------------------------------
    def cached(self, id_tag: str) -> dict[str, Any] | None:
        return self._info("cache", id_tag)

    def remember(self, id_tag: str, info: dict[str, Any]) -> None:
        """Keep what the CSMS said about a tag (not for tags on the list: the list rules)."""
        if self.listed(id_tag) is None:
            self.db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?)", (id_tag, json.dumps(info)))

    def clear_cache(self) -> None:
        self.db.execute("DELETE FROM cache")

    def _info(self, table: str, id_tag: str) -> dict[str, Any] | None:
        row = self.db.execute(f"SELECT info FROM {table} WHERE id_tag = ?", (id_tag,)).fetchone()
        return json.loads(row[0]) if row else None
