"""The stack under soak: ``pycharge run --sim`` as a child, driven and watched over MQTT.

The child is bench's :class:`StackProcess`; every line it logs is looked at as it arrives (lines
at WARNING and above are kept, with a count of the rest). The car is driven over EVerest's
carsim topics and the charger over the API's topics, as Node-RED or an HMI would, through
pycharge's own MQTT connection class (it reconnects and renews its subscriptions by itself).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.bus_watch import Watch
from bench.process_stack import StackProcess
from bench.procfs import Footprint, footprint
from pycharge.runtime.mqtt import BrokerAddress, MqttConnection
from pycharge.runtime.topics import Topics

EVSE = "connector"  # the EvseManager of bsp-only.yaml
STORE = "persistent_store"
KEPT_LEVELS = ("WARNING", "ERROR", "CRITICAL")


def with_store(config: dict[str, Any], directory: Path) -> dict[str, Any]:
    """bsp-only.yaml (as a dict) with a PersistentStore as the EvseManager's ``store``
    (EVerest's wiring) and every database in ``directory``; changed in place and returned."""
    modules = config["active_modules"]
    modules[STORE] = {"module": "PersistentStore",
                      "config_module": {"sqlite_db_file_path": str(directory / "store.db")}}
    modules[EVSE].setdefault("connections", {})["store"] = [
        {"module_id": STORE, "implementation_id": "main"}]
    modules["error_history"]["config_implementation"]["error_history"]["database_path"] = \
        str(directory / "error_history.db")
    return config


class LogTap(deque):
    """The child's recent output (as StackProcess keeps it), each line also handed on."""

    def __init__(self, maxlen: int, on_line: Callable[[str], None]) -> None:
        super().__init__(maxlen=maxlen)
        self._on_line = on_line

    def append(self, line: str) -> None:
        super().append(line)
        self._on_line(line)


def log_level_of(line: str) -> str | None:
    """``2026-01-01 12:00:00.000 WARNING [module] text`` -> WARNING (None for other lines)."""
    fields = line.split(maxsplit=3)
    return fields[2] if len(fields) > 2 and fields[2] in (
        "DEBUG", "INFO", *KEPT_LEVELS) else None


class SoakStack:
    """One running stack: its process, its log, and hands on the car and the API."""

    def __init__(self, config: Path, broker: BrokerAddress, workdir: Path,
                 log_level: str = "info") -> None:
        self.process = StackProcess(config, broker, per_module=False, workdir=workdir)
        self.process.command += ["--log-level", log_level]
        self.kept: list[str] = []  # WARNING and above, and everything that is not a log line
        self.lines = 0
        self._lock = threading.Lock()
        self.process.output = LogTap(200, self._line)
        settings = yaml.safe_load(config.read_text()).get("settings") or {}
        self.topics = Topics(settings.get("mqtt_everest_prefix", "everest").rstrip("/") + "/")
        external = settings.get("mqtt_external_prefix", "")
        self.session_event_topic = self.topics.var(EVSE, "evse", "session_event")
        self.api_prefix = f"{external}everest_api/{EVSE}/"
        self.errors_topic = f"{external}everest_api/errors/var/active_errors"
        self.carsim = f"{external}everest_external/nodered/1/carsim/"
        self.connection = MqttConnection(broker, name="pycharge-soak-driver")
        self.watch = Watch(self.connection)

    def _line(self, line: str) -> None:
        with self._lock:
            self.lines += 1
            if log_level_of(line) in (*KEPT_LEVELS, None):
                self.kept.append(line)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> float:
        """Start the child and the watch; seconds until every module was ready."""
        self.connection.start()
        self.watch.follow(self.session_event_topic)
        self.watch.follow(self.errors_topic)
        self.process.start()
        return self.process.wait_ready(timeout)

    def stop(self) -> int:
        """SIGTERM the child; its exit status."""
        try:
            return self.process.stop()[1]
        finally:
            self.watch.close()
            self.connection.stop()

    def kill(self) -> None:
        """SIGKILL the child (and any module processes); the watch stays."""
        self.process.kill()

    def footprint(self) -> Footprint:
        return footprint(self.process.pid)

    # -- hands -----------------------------------------------------------------------------------
    def car(self, script: str) -> None:
        self.connection.publish(self.carsim + "cmd/execute_charging_session", script)

    def car_modify(self, script: str) -> None:
        self.connection.publish(self.carsim + "cmd/modify_charging_session", script)

    def inject(self, fault: str, active: bool) -> None:
        self.connection.publish(self.carsim + "error", json.dumps(
            {"error_type": fault, "raise": "true" if active else "false"}))

    def api(self, command: str, payload: Any = "") -> None:
        self.connection.publish(self.api_prefix + "cmd/" + command,
                                payload if isinstance(payload, str) else json.dumps(payload))

    # -- eyes ------------------------------------------------------------------------------------
    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """The EvseManager's session events, oldest first, from the ``since``-th on."""
        messages = list(self.watch.messages)  # appended to by the network thread
        return [json.loads(p)["data"] for t, p in messages if t == self.session_event_topic][since:]

    def mark(self) -> int:
        return len(self.events())

    def wait_event(self, name: str, since: int, timeout: float) -> dict[str, Any]:
        def find(_messages: Any) -> dict[str, Any] | None:
            return next((e for e in self.events(since) if e["event"] == name), None)
        return self.watch.wait_for(find, timeout, f"session event {name}")

    def active_errors(self) -> list[dict[str, Any]]:
        published = [p for t, p in list(self.watch.messages) if t == self.errors_topic and p]
        return json.loads(published[-1]) if published else []
