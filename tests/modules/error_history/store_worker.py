"""An ErrorStore in a process of its own, for tests that need one (privileges, SIGKILL).

Usage: ``python store_worker.py report <db>`` prints ``{"persistent", "errors", "can_write_dir"}``
after adding one error; ``python store_worker.py write <db>`` adds errors forever and prints the
number of errors stored after each one.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from pycharge.modules.ErrorHistory.store import ErrorStore
from pycharge.runtime.errors import Error


def _error(number: int) -> Error:
    return Error(type="evse_board_support/DiodeFault", message=f"message {number}",
                 description="what it means", origin={"module_id": "bsp", "implementation_id": "b"},
                 timestamp="2026-03-01T12:00:00.000Z", uuid=f"worker-{number}")


def _can_write(directory: Path) -> bool:
    try:
        (directory / "probe").write_text("x")
    except OSError:
        return False
    (directory / "probe").unlink()
    return True


def main(mode: str, path: str) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    store = ErrorStore(path, logging.getLogger("store"))
    if mode == "report":
        store.add(_error(0))
        print(json.dumps({"persistent": store.persistent, "errors": store.query({}),
                          "can_write_dir": _can_write(Path(path).parent)}))
        return
    number = 1
    while True:
        store.add(_error(number))
        print(number, flush=True)
        number += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
