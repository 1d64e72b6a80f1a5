"""The error history's SQLite store: filters, restarts and every way the file can fail."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from pycharge.modules.ErrorHistory.query import COLUMNS
from pycharge.modules.ErrorHistory.store import ErrorStore
from pycharge.runtime.definitions import Definitions
from tests.modules.error_history.errors import cleared, error

LOG = logging.getLogger("test.error_history")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history" / "errors.db"


def filled(db_path: Path, lock_timeout: float = 1.0) -> ErrorStore:
    store = ErrorStore(str(db_path), LOG, lock_timeout)
    assert store.persistent
    store.add(error(1, severity="Low", timestamp="2026-03-01T10:00:00.000Z"))
    store.add(error(2, "evse_manager/MREC4OverCurrentFailure", "Medium", "connector", "evse",
                    "2026-03-01T11:00:00.000Z"))
    store.add(error(3, "ac_rcd/DC", "High", "bsp", "ac_rcd", "2026-03-01T12:00:00.000Z"))
    store.clear(cleared(error(2)))
    return store


@pytest.fixture
def store(db_path: Path) -> ErrorStore:
    return filled(db_path)


def uuids(errors: list[dict]) -> list[str]:
    return [e["uuid"] for e in errors]


def test_every_event_is_kept_in_the_order_seen(store: ErrorStore) -> None:
    assert [(e["uuid"], e["state"]) for e in store.query({})] == [
        ("uuid-1", "Active"), ("uuid-2", "ClearedByModule"), ("uuid-3", "Active")]


def test_results_match_the_interface(store: ErrorStore) -> None:
    definitions = Definitions.load()
    result = definitions.interfaces["error_history"].cmds["get_errors"].result
    assert definitions.check(store.query({}), result, "result") == []
    assert store.query({"handle_filter": "uuid-3"}) == [{
        "type": "ac_rcd/DC", "sub_type": "", "description": "what it means",
        "message": "message 3", "severity": "High",
        "origin": {"module_id": "bsp", "implementation_id": "ac_rcd"},
        "timestamp": "2026-03-01T12:00:00.000Z", "uuid": "uuid-3", "state": "Active"}]


@pytest.mark.parametrize(("filters", "expected"), [
    ({"state_filter": "Active"}, ["uuid-1", "uuid-3"]),
    ({"state_filter": "ClearedByModule"}, ["uuid-2"]),
    ({"origin_filter": {"module_id": "bsp", "implementation_id": "ac_rcd"}}, ["uuid-3"]),
    ({"origin_filter": {"module_id": "bsp", "implementation_id": "nothing"}}, []),
    ({"type_filter": "evse_manager/MREC4OverCurrentFailure"}, ["uuid-2"]),
    ({"severity_filter": "HIGH_GE"}, ["uuid-3"]),
    ({"severity_filter": "MEDIUM_GE"}, ["uuid-2", "uuid-3"]),
    ({"severity_filter": "LOW_GE"}, ["uuid-1", "uuid-2", "uuid-3"]),
    ({"timeperiod_filter": {"timestamp_from": "2026-03-01T11:00:00Z",
                            "timestamp_to": "2026-03-01T13:00:00+01:00"}}, ["uuid-2", "uuid-3"]),
    ({"timeperiod_filter": {"timestamp_from": "2026-03-01T10:00:00.001Z",
                            "timestamp_to": "2026-03-01T11:59:59.999Z"}}, ["uuid-2"]),
    ({"handle_filter": "uuid-2"}, ["uuid-2"]),
    ({"state_filter": "Active", "severity_filter": "MEDIUM_GE"}, ["uuid-3"]),
    ({"handle_filter": "x' OR '1'='1"}, []),
])
def test_filters(store: ErrorStore, filters: dict, expected: list[str]) -> None:
    assert uuids(store.query(filters)) == expected


def test_a_filter_with_a_non_time_answers_nothing_and_says_why(
        store: ErrorStore, caplog: pytest.LogCaptureFixture) -> None:
    period = {"timestamp_from": "12", "timestamp_to": "2026-03-01T13:00:00Z"}
    assert store.query({"timeperiod_filter": period}) == []
    assert "get_errors: not a time: 12" in caplog.text


def test_a_clear_for_an_error_never_seen_raised_is_kept(store: ErrorStore) -> None:
    store.clear(cleared(error(9)))
    assert store.query({"handle_filter": "uuid-9"})[0]["state"] == "ClearedByModule"


def test_after_a_restart_errors_left_active_are_cleared_by_reboot(store: ErrorStore,
                                                                   db_path: Path) -> None:
    store.close()
    reopened = ErrorStore(str(db_path), LOG)
    assert reopened.persistent
    assert [(e["uuid"], e["state"]) for e in reopened.query({})] == [
        ("uuid-1", "ClearedByReboot"), ("uuid-2", "ClearedByModule"), ("uuid-3", "ClearedByReboot")]
    reopened.add(error(3))  # still active after all: its module reports it again
    assert reopened.query({"handle_filter": "uuid-3"})[0]["state"] == "Active"
    assert len(reopened.query({})) == 3


def test_the_file_has_everests_table(store: ErrorStore, db_path: Path) -> None:
    store.close()
    with sqlite3.connect(db_path) as db:
        assert {r[1] for r in db.execute("PRAGMA table_info(errors)")} == set(COLUMNS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM errors").fetchone()[0] == 3


def test_a_damaged_file_is_reported_left_alone_and_memory_takes_over(
        db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path.parent.mkdir()
    garbage = b"SQLite format 3\x00" + bytes(range(256)) * 16
    db_path.write_bytes(garbage)
    store = ErrorStore(str(db_path), LOG)
    assert not store.persistent
    assert f"error history database {db_path} cannot be used" in caplog.text
    store.add(error(1))
    store.clear(cleared(error(1)))
    assert [(e["uuid"], e["state"]) for e in store.query({})] == [("uuid-1", "ClearedByModule")]
    assert db_path.read_bytes() == garbage


def test_a_database_that_is_not_an_error_history_is_left_alone(
        db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path.parent.mkdir()
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE sessions(id TEXT)")
    store = ErrorStore(str(db_path), LOG)
    assert not store.persistent
    assert "it is not an error history (tables: sessions)" in caplog.text
    with sqlite3.connect(db_path) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["sessions"]


def test_a_database_locked_at_start_means_memory_with_what_can_be_read(
        store: ErrorStore, db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store.close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = ErrorStore(str(db_path), LOG, lock_timeout=0.1)
        assert not locked.persistent
        assert "database is locked" in caplog.text
        locked.add(error(4))
        assert uuids(locked.query({})) == ["uuid-1", "uuid-2", "uuid-3", "uuid-4"]
        assert locked.query({"state_filter": "Active"})[0]["uuid"] == "uuid-4"  # 1, 3: by reboot
    finally:
        holder.close()


def test_a_write_that_fails_later_moves_the_history_to_memory(
        db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = filled(db_path, lock_timeout=0.1)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        store.add(error(4))
    finally:
        writer.close()
    assert not store.persistent
    assert "failed while writing: database is locked" in caplog.text
    assert uuids(store.query({})) == ["uuid-1", "uuid-2", "uuid-3", "uuid-4"]
