"""PersistentStore (kvs on SQLite) and the session record EvseManager keeps in it.

The store: every JSON value round-trips; rows are EVerest's (table KVS, text values, EVerest's
type names), so a file written by EVerest reads here; a file that cannot be used is left alone
and the values are kept in memory. EvseManager: the record of the open transaction is written
on its session events and cleared when it ends, also when the store was away at that moment.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from pycharge.modules.EvseManager.session_store import RECORD_PERIOD_S
from pycharge.modules.PersistentStore.database import KvsDatabase, decode
from tests.conftest import Mosquitto
from tests.reliability.bus import call
from tests.reliability.charging import start_charging
from tests.reliability.configs import STORE
from tests.sil.stack import EVSE
from tests.support.probe import Probe
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until

WATCHDOG_S = 10.0
VALUES = [None, True, False, 0, -7, 2**40, 1.5, -0.1, 1e-300, "", "text ü", [], [1, "a", None],
          {}, {"a": {"b": [1.25, False]}}]
log = logging.getLogger("test.persistent_store")


def test_every_value_round_trips_and_survives_a_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    store = KvsDatabase(path, log)
    for index, value in enumerate(VALUES):
        store.store(f"key.{index}", value)
    store.store("key.0", "replaced")
    store.close()
    store = KvsDatabase(path, log)
    assert store.persistent
    assert [store.load(f"key.{i}") for i in range(len(VALUES))] == ["replaced", *VALUES[1:]]
    assert store.exists("key.3") and not store.exists("nothing")
    assert store.load("nothing") is None
    store.delete("key.3")
    assert not store.exists("key.3")
    store.close()


def test_rows_are_everests(tmp_path: Path) -> None:
    """The layout EVerest's PersistentStore writes (kvsImpl.cpp), both ways."""
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE KVS (KEY TEXT UNIQUE, VALUE TEXT, TYPE TEXT)")
        db.executemany("INSERT INTO KVS VALUES (?, ?, ?)", [
            ("connector_session", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "std::string"),
            ("d", "1.500000", "double"), ("i", "42", "int"), ("b", "true", "bool"),
            ("o", '{"x":[1,2]}', "Object"), ("a", "[true]", "Array"), ("n", "", "nullptr_t")])
    store = KvsDatabase(str(path), log)
    assert store.load("connector_session") == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert [store.load(k) for k in "dibon"] == [1.5, 42, True, {"x": [1, 2]}, None]
    assert store.load("a") == [True]
    store.store("mine", {"energy": 1.0})
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT VALUE, TYPE FROM KVS WHERE KEY = 'mine'").fetchone() == \
            ('{"energy": 1.0}', "Object")


@pytest.mark.parametrize("content", [b"not a database at all" * 100,
                                     b"SQLite format 3\x00" + b"\xff" * 2000])
def test_an_unusable_file_is_left_alone(tmp_path: Path, content: bytes,
                                        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(content)
    store = KvsDatabase(str(path), log)
    store.store("k", 1)
    assert store.load("k") == 1
    assert not store.persistent
    store.close()
    assert path.read_bytes() == content
    assert "cannot be used" in caplog.text


def test_commands_over_the_bus(tmp_path: Path, mosquitto: Mosquitto, probe: Probe) -> None:
    config = {"active_modules": {STORE: {"module": "PersistentStore", "config_module": {
        "sqlite_db_file_path": str(tmp_path / "store.db")}}}}
    with running(write_config(tmp_path, config), mosquitto.address) as manager:
        def kvs(cmd: str, **args: Any) -> dict[str, Any]:
            return call(probe, manager.topics, STORE, "main", cmd, args)

        stored = kvs("store", key="a.b_1", value={"x": [1, None]})
        assert "error" not in stored and stored["retval"] is None
        assert kvs("load", key="a.b_1")["retval"] == {"x": [1, None]}
        assert kvs("exists", key="a.b_1")["retval"] is True
        assert kvs("load", key="missing")["retval"] is None
        assert kvs("store", key="bad key!", value=1)["error"]["type"] == "SchemaValidationError"
        kvs("delete", key="a.b_1")
        assert kvs("exists", key="a.b_1")["retval"] is False


def record(sil: Any) -> Any:
    """The session record as the store's file has it ('' or None when there is none)."""
    with sqlite3.connect(Path(sil.database).parent / "store.db") as db:
        row = db.execute("SELECT VALUE, TYPE FROM KVS WHERE KEY = ?",
                         (f"{EVSE}_session",)).fetchone()
    return decode(*row) if row else None


def test_the_record_follows_the_transaction(stack_factory) -> None:
    with stack_factory() as sil:
        assert record(sil) in (None, "")
        start_charging(sil)
        started = sil.events()[[e["event"] for e in sil.events()].index("TransactionStarted")]
        open_record = wait_until(lambda: isinstance(record(sil), dict) and record(sil),
                                 what="the record of the open transaction")
        assert open_record["uuid"] == started["uuid"]
        assert open_record["id_tag"] == started["transaction_started"]["id_tag"]
        mark = sil.mark()
        sil.car_modify("unplug;sleep 100000")
        sil.wait_events("TransactionFinished", "SessionFinished", since=mark)
        wait_until(lambda: record(sil) == "", what="the record cleared")


def test_a_clear_the_store_missed_is_sent_again(stack_factory) -> None:
    """The store hangs (and is then restarted) when the transaction ends: the clear is repeated
    until it lands, so the next start does not report a finished transaction as interrupted."""
    with stack_factory() as sil:
        start_charging(sil)
        wait_until(lambda: isinstance(record(sil), dict), what="the open record")
        release = threading.Event()
        sil.manager.host(STORE).post(release.wait, 60)
        try:
            mark = sil.mark()
            sil.car_modify("unplug;sleep 100000")
            sil.wait_events("TransactionFinished", since=mark)
            assert isinstance(record(sil), dict)  # the clear did not reach the file
            wait_until(lambda: record(sil) == "", timeout=WATCHDOG_S + 3 * RECORD_PERIOD_S,
                       what="the clear sent again after the store came back")
        finally:
            release.set()
        assert sil.manager.status()[STORE]["restarts"] == 1
