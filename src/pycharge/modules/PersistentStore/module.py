"""PersistentStore: EVerest's SQLite key-value store (``kvs``), for records that must outlive
the process, such as the open session EvseManager reports after a power loss.

Every command runs on the module's thread, so stores and loads of all callers happen one after
the other, in the order they arrived; ``database`` makes each one durable before it answers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pycharge.modules.PersistentStore.database import KvsDatabase
from pycharge.runtime.module import Implementation, Module


class Kvs(Implementation):
    module: PersistentStore

    def store(self, key: str, value: Any) -> None:
        self.module.database.store(key, value)

    def load(self, key: str) -> Any:
        return self.module.database.load(key)

    def delete(self, key: str) -> None:
        self.module.database.delete(key)

    def exists(self, key: str) -> bool:
        return self.module.database.exists(key)


class PersistentStore(Module):
    implementations: ClassVar = {"main": Kvs}

    def init(self) -> None:
        self.database = KvsDatabase(self.config["sqlite_db_file_path"], self.log)

    def shutdown(self) -> None:
        database = getattr(self, "database", None)
        if database is not None:
            database.close()
