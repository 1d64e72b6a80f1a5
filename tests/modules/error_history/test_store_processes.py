"""The error history's store in a process of its own: read-only directories and SIGKILL."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from pycharge.modules.ErrorHistory.store import ErrorStore
from tests.modules.error_history.errors import error

WORKER = Path(__file__).with_name("store_worker.py")
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def _drop_file_permission_override() -> None:
    """In the child: make file permissions count even for root (a no-op for other users)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)


def run_worker(mode: str, path: Path, **options: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), mode, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **options)


def test_a_read_only_directory_keeps_the_old_history_readable_in_memory(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    path = directory / "errors.db"
    store = ErrorStore(str(path), logging.getLogger("test"))
    store.add(error(1))
    store.close()
    directory.chmod(0o555)
    try:
        worker = run_worker("report", path, preexec_fn=_drop_file_permission_override)
        out, err = worker.communicate(timeout=30)
    finally:
        directory.chmod(0o755)
    assert worker.returncode == 0, err
    report = json.loads(out)
    assert report["can_write_dir"] is False  # the directory really was read-only for the worker
    assert report["persistent"] is False
    assert f"error history database {path} cannot be used" in err
    assert [(e["uuid"], e["state"]) for e in report["errors"]] == [
        ("uuid-1", "ClearedByReboot"), ("worker-0", "Active")]


def test_a_process_killed_while_writing_leaves_an_intact_database(tmp_path: Path) -> None:
    path = tmp_path / "errors.db"
    worker = run_worker("write", path)
    assert worker.stdout is not None
    stored = 0
    try:
        while stored < 50:
            line = worker.stdout.readline()
            assert line, worker.stderr.read() if worker.stderr else "worker ended"
            stored = int(line)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    assert worker.returncode == -signal.SIGKILL
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT count(*) FROM errors").fetchone()[0]
    assert rows >= stored  # everything the worker reported as stored survived the kill
    reopened = ErrorStore(str(path), logging.getLogger("test"))
    assert reopened.persistent
    assert {e["state"] for e in reopened.query({})} == {"ClearedByReboot"}
