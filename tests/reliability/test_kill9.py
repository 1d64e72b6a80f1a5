"""``kill -9`` of the whole stack (``pycharge run --sim`` as a child process), then a restart.

What must hold afterwards: both SQLite files (ErrorHistory, PersistentStore) pass
``PRAGMA integrity_check``; the errors recorded before the kill are still there; the session
that was charging is reported by the restarted EvseManager (SessionResumed, then
TransactionFinished with reason PowerLoss and the energy of its last record, which is written
at every session event and every 10 s); a firmware update interrupted by the kill leaves a
marker that is either absent or complete and is reported correctly after the next boot.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pycharge.modules.CbSystem.simulated import SimulatedPrograms
from pycharge.modules.EvseManager.session_store import RECORD_PERIOD_S
from pycharge.modules.PersistentStore.database import decode
from pycharge.runtime.clock import rfc3339
from pycharge.runtime.mqtt import MqttConnection
from pycharge.runtime.topics import Topics
from tests.conftest import Mosquitto
from tests.modules.system.bus import SystemBus
from tests.modules.system.fileserver import FileServer, Route
from tests.reliability.bus import ReconnectingProbe
from tests.reliability.charging import CHARGE
from tests.reliability.configs import EVSE, SYSTEM, with_store, with_system
from tests.reliability.restarts import START_TIMEOUT_S, Stacks
from tests.support.stack import write_config
from tests.support.waiting import wait_until

RECORD_KEY = f"{EVSE}_session"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, with_system(tmp_path, with_store(tmp_path)))


@pytest.fixture
def stacks(tmp_path: Path, config: Path, private_mosquitto: Mosquitto) -> Iterator[Stacks]:
    started = Stacks(config, private_mosquitto, tmp_path)
    yield started
    started.close()


def prefix(config: Path) -> str:
    """The configuration's internal topic prefix, with its slash."""
    return yaml.safe_load(config.read_text())["settings"]["mqtt_everest_prefix"] + "/"


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:  # opening replays the write-ahead log, as a restart does
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def error_rows(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT uuid, type, state FROM errors ORDER BY rowid").fetchall()


def session_record(path: Path) -> Any:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT VALUE, TYPE FROM KVS WHERE KEY = ?", (RECORD_KEY,)).fetchone()
    return decode(*row) if row else None


def energy(meter_value: dict[str, Any]) -> float:
    return float(meter_value["energy_Wh_import"]["total"])


def test_kill_during_a_session(tmp_path: Path, stacks) -> None:
    history, store = tmp_path / "error_history.db", tmp_path / "store.db"
    first = stacks.start()
    wait_until(lambda: any("CP state change from E to A" in line for line in
                           list(first.process.output)), what="the driver's first CP state")
    first.inject("MREC14PilotFault", True)  # the pilot shorted while nobody is plugged in
    wait_until(lambda: [r for r in error_rows(history) if r[1].endswith("MREC14PilotFault")],
               what="the CP short in the error history")
    first.inject("MREC14PilotFault", False)
    wait_until(lambda: all(r[2] == "ClearedByModule" for r in error_rows(history)),
               what="the CP short cleared in the error history")
    before_kill = error_rows(history)

    first.car(CHARGE)
    started = first.wait_event("TransactionStarted", 0, START_TIMEOUT_S)
    first.wait_event("ChargingStarted", 0, START_TIMEOUT_S)
    record = wait_until(lambda: _charged_record(store), timeout=RECORD_PERIOD_S + 10,
                        what="a session record with energy in it")
    time.sleep(random.Random(7).uniform(0.0, RECORD_PERIOD_S))  # somewhere between two records
    last = session_record(store)
    stacks.kill()

    assert integrity(history) == "ok"
    assert integrity(store) == "ok"
    assert error_rows(history) == before_kill
    after_kill = session_record(store)
    assert after_kill["uuid"] == started["uuid"]
    assert energy(after_kill["meter_value"]) >= energy(last["meter_value"]) >= \
        energy(record["meter_value"]) > 0

    second = stacks.start()
    resumed = second.wait_event("SessionResumed", 0, START_TIMEOUT_S)
    finished = second.wait_event("TransactionFinished", 0, START_TIMEOUT_S)
    assert resumed["uuid"] == finished["uuid"] == started["uuid"]
    details = finished["transaction_finished"]
    assert details["reason"] == "PowerLoss"
    assert energy(details["meter_value"]) == energy(after_kill["meter_value"])
    assert energy(details["meter_value"]) - energy(started["transaction_started"]["meter_value"]) > 0
    wait_until(lambda: session_record(store) == "", what="the session record cleared")
    assert [r[:2] for r in error_rows(history)] == [r[:2] for r in before_kill]
    assert second.stop() == 0


def _charged_record(store: Path) -> dict[str, Any] | None:
    record = session_record(store)
    if isinstance(record, dict) and record.get("meter_value") and energy(record["meter_value"]) > 0:
        return record
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_while_the_error_history_writes(tmp_path: Path, stacks: Stacks, config: Path,
                                             private_mosquitto: Mosquitto, seed: int) -> None:
    """A flood of errors keeps the ErrorHistory writing (one fsync'd transaction each); the
    kill comes at a random moment while rows are still being added, so it lands inside a
    write or between two."""
    history = tmp_path / "error_history.db"
    stacks.start()
    flood = ErrorFlood(private_mosquitto, prefix(config))
    flood.start()
    try:
        wait_until(lambda: len(error_rows(history)) > 50, timeout=30, what="errors being written")
        time.sleep(random.Random(seed).uniform(0.0, 1.0))
        growing = len(error_rows(history))
        wait_until(lambda: len(error_rows(history)) > growing, timeout=5, what="still writing")
        before_kill = error_rows(history)
        stacks.kill()
    finally:
        flood.stop()
    assert integrity(history) == "ok"
    after_kill = error_rows(history)
    assert [r[0] for r in after_kill[:len(before_kill)]] == [r[0] for r in before_kill]
    second = stacks.start()
    wait_until(lambda: not [r for r in error_rows(history) if r[2] == "Active"], timeout=15,
               what="errors active at the kill marked ClearedByReboot")
    assert [r[0] for r in error_rows(history)][:len(after_kill)] == [r[0] for r in after_kill]
    assert second.stop() == 0


class ErrorFlood:
    """Raises and clears errors of a made-up module as fast as the broker takes them."""

    def __init__(self, broker: Mosquitto, everest_prefix: str) -> None:
        self.connection = MqttConnection(broker.address, name="pycharge-error-flood")
        self.topic = Topics(everest_prefix).error("flood", "main", "generic/VendorError")
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="error-flood", daemon=True)

    def start(self) -> None:
        self.connection.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.connection.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            error = {"type": "generic/VendorError", "sub_type": str(self.sent), "severity": "Low",
                     "message": "flood", "origin": {"module_id": "flood",
                                                    "implementation_id": "main"},
                     "timestamp": rfc3339(), "uuid": str(uuid.uuid4())}
            for payload in ({"active": [error], "cleared": []},
                            {"active": [], "cleared": [{**error, "state": "ClearedByModule"}]}):
                self.connection.publish(self.topic, json.dumps(payload))
            self.sent += 1
            self._stop.wait(0.002)


@pytest.mark.parametrize("phase", ["Downloading", "InstallRebooting"])
def test_kill_during_a_firmware_update(tmp_path: Path, stacks: Stacks, config: Path,
                                       private_mosquitto: Mosquitto, phase: str) -> None:
    """Killed while the image downloads, or after RAUC installed it and before the reboot."""
    state, download = tmp_path / "state", tmp_path / "download"
    marker = state / "firmware-update.marker"
    server = FileServer()
    probe = ReconnectingProbe(private_mosquitto.address)
    image = b"hsqs" + bytes(4000)
    server.routes["/fw.image"] = Route(body=image, behaviour="trickle" if phase == "Downloading"
                                       else "send")
    try:
        stacks.start()
        bus = SystemBus(probe, prefix(config), SYSTEM)
        request = {"location": server.url("/fw.image"), "request_id": -1}
        assert bus.call("update_firmware", firmware_update_request=request) == "Accepted"
        bus.wait_for_status(-1, phase)
        if phase == "Downloading":
            wait_until(lambda: any(download.iterdir()), what="part of the image on disk")
        stacks.kill()
        if phase == "InstallRebooting":
            written = json.loads(marker.read_text())
            system = json.loads((state / "simulated-system.json").read_text())
            assert written == {"slot": system["activated"], "request_id": -1,
                               "boot_id": system["boot_id"]}
            assert system["activated"] != system["booted"]
        else:
            assert not marker.exists()

        second = stacks.start()  # the same boot: nothing to report yet
        bus = SystemBus(probe, prefix(config), SYSTEM)
        assert bus.call("get_boot_reason") == "PowerUp"
        assert list(download.iterdir()) == []  # no partial or stale image left behind
        assert marker.exists() == (phase == "InstallRebooting")
        assert second.stop() == 0
        if phase == "Downloading":
            return

        SimulatedPrograms(state, "/usr/bin/rauc", "/sbin/reboot",
                          "/usr/bin/timedatectl").run(["/sbin/reboot"], 5.0)  # the board reboots
        bus = SystemBus(probe, prefix(config), SYSTEM)  # counts what comes from here on
        stacks.start()
        assert bus.wait_end(-1) == ["Installed"]
        assert bus.call("get_boot_reason") == "FirmwareUpdate"
        assert not marker.exists()
    finally:
        probe.close()
        server.close()
