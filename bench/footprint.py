"""Memory, threads, descriptors and CPU of a running stack in steady state, idle and charging.

CPU is the user + system time the stack's processes used over the window, as a percentage of
one core; memory is sampled once a second and reported at the end of the window and at its
peak. Charging is started the way a test bench would: an EvManager script for the simulated
car on its MQTT topic, then waiting until the board state it publishes shows relay 1 closed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.bus_watch import Watch
from bench.procfs import cpu_seconds, footprint
from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.mqtt import BrokerAddress, MqttConnection

CHARGE_SCRIPT = "sleep 0.5;iec_wait_pwr_ready;sleep 0.5;draw_power_regulated 16,3;sleep 86400"
CHARGING_TIMEOUT_S = 30.0


def window(pid: int, seconds: float) -> dict[str, Any]:
    """Watch the process tree of ``pid`` for ``seconds``."""
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    peak_rss = peak_pss = 0
    while True:
        now = footprint(pid)
        peak_rss, peak_pss = max(peak_rss, now.rss_kib), max(peak_pss, now.pss_kib)
        remaining = started + seconds - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(1.0, remaining))
    elapsed = time.monotonic() - started
    used = cpu_seconds(pid) - cpu_before
    return {**now.as_dict(), "peak_rss_kib": peak_rss, "peak_pss_kib": peak_pss,
            "seconds": round(elapsed, 1), "cpu_percent": round(100.0 * used / elapsed, 2)}


def car_topics(config_path: Path) -> tuple[str, str]:
    """(charging-session command topic, board state topic) of the car ``--sim`` adds."""
    config = config_loader.load(config_path, ModuleCatalog([]), Definitions.load([]))
    cars = [m for m in config.modules.values() if m.name == "CarSimulator"]
    evses = sorted((m for m in config.modules.values() if m.name == "EvseManager"),
                   key=lambda m: m.id)
    connector = (cars[0].config if cars else evses[0].config if evses else {}).get(
        "connector_id", 1)
    external = config.settings.mqtt_external_prefix
    return (f"{external}everest_external/nodered/{connector}/carsim/cmd/"
            "execute_charging_session", f"{external}pycharge/sim/{connector}/board")


def start_charging(config_path: Path, broker: BrokerAddress) -> float:
    """Plug the simulated car in and wait until relay 1 is closed; seconds it took."""
    command, board = car_topics(config_path)
    connection = MqttConnection(broker, name="pycharge-bench-car")
    connection.start()
    watch = Watch(connection)
    try:
        watch.follow(board)
        started = time.monotonic()
        connection.publish(command, CHARGE_SCRIPT)

        def charging(messages: list[tuple[str, bytes]]) -> bool:
            return any(json.loads(p)["relays"]["1"]["contact"] for _, p in messages)

        watch.wait_for(charging, CHARGING_TIMEOUT_S, "relay 1 closed after plugging in")
        return time.monotonic() - started
    finally:
        watch.close()
        connection.stop()
