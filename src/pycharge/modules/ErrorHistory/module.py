"""ErrorHistory: a persistent record of every error raised and cleared in the stack.

It subscribes to all errors of all modules (``enable_global_errors``), writes each raise and
clear to SQLite as it happens (see ``store``) and answers ``get_errors``. Errors still marked
active from before a restart are marked ``ClearedByReboot`` at start; the ones that are in fact
still active are reported again by their modules and become active again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pycharge.modules.ErrorHistory.store import ErrorStore
from pycharge.runtime.module import Implementation, Module


class History(Implementation):
    module: ErrorHistory

    def get_errors(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return self.module.store.query(filters)


class ErrorHistory(Module):
    implementations: ClassVar = {"error_history": History}

    def init(self) -> None:
        self.store = ErrorStore(self.impl["error_history"].config["database_path"], self.log)
        self.subscribe_all_errors(self.store.add, self.store.clear)

    def shutdown(self) -> None:
        self.store.close()
