"""chargebyte's bsp-only.yaml on the simulated board, driven and watched from outside.

The configuration runs unchanged except for what lets tests share one broker (unique MQTT
prefixes) and a temporary ErrorHistory database. The test drives the car over EVerest's carsim
topics and the charger over the API's topics, as Node-RED or an HMI would, and watches the
EvseManager's session events, the API's ``session_info`` and the simulated board's event log.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from pycharge.cli import loading
from pycharge.runtime.manager import Manager
from pycharge.simulation import Simulation
from pycharge.simulation.events import Event, EventLog
from tests.support.probe import Probe
from tests.support.stack import write_config
from tests.support.waiting import wait_until

SHARED_BSP_ONLY = Path("/work/shared/configs/bsp-only.yaml")
EVSE = "connector"  # the EvseManager's module id in bsp-only.yaml
BSP = "tarragon_bsp"  # the CbTarragonDriver's
CONNECTOR_ID = 1
# EvManager scripts: plug in, wait for a PWM that allows charging, draw 16 A on 3 phases; the
# car stays as it is until the test modifies the script (a script's end unplugs the car)
PLUG_IN_16A = "iec_wait_pwr_ready;draw_power_regulated 16,3"
STAY = ";sleep 36000"
RESUME_16A = "draw_power_regulated 16,3" + STAY
# everest-framework.md §6.3, EVerest's BASIC_SESSION_START_SEQUENCE
SESSION_START = ("SessionStarted", "AuthRequired", "Authorized", "TransactionStarted",
                 "PrepareCharging", "ChargingStarted")


def bsp_only_path() -> Path:
    """The packaged bsp-only.yaml, else chargebyte's copy in the shared folder."""
    packaged = importlib.resources.files("pycharge.configs").joinpath("bsp-only.yaml")
    return Path(str(packaged)) if packaged.is_file() else SHARED_BSP_ONLY


def bsp_only() -> dict[str, Any]:
    return yaml.safe_load(bsp_only_path().read_text())


class Sil:
    """A running stack on the simulated board, with the test's hands on the car and the API."""

    def __init__(self, sim: Simulation, probe: Probe, everest: str, external: str,
                 database: Path, bsp: str = BSP) -> None:
        self.sim = sim
        self.board = sim.board
        self.log: EventLog = sim.board.log
        self.probe = probe
        self.database = database
        self.manager: Manager | None = None  # set once it runs
        self.session_event_topic = f"{everest}/modules/{EVSE}/impl/evse/var/session_event"
        self.api_prefix = f"{external}everest_api/{EVSE}/"
        self.errors_topic = f"{external}everest_api/errors/var/active_errors"
        self.carsim = f"{external}everest_external/nodered/{CONNECTOR_ID}/carsim/"
        self.car_enabled_topic = f"{everest}/modules/car_simulator/impl/main/var/enabled"
        self.bsp_event_topic = f"{everest}/modules/{bsp}/impl/evse_board_support/var/event"
        for topic in (self.session_event_topic, self.car_enabled_topic, self.bsp_event_topic,
                      f"{external}everest_api/#"):
            probe.subscribe(topic)

    # -- hands ----------------------------------------------------------------------------------
    def now(self) -> float:
        """Simulated seconds (the board's clock)."""
        return self.sim.clock.monotonic()

    def car(self, script: str) -> None:
        """Start a new car script (EvManager syntax) from the car's defaults."""
        self.probe.publish(self.carsim + "cmd/execute_charging_session", script)

    def car_modify(self, script: str) -> None:
        """Replace the rest of the running car script."""
        self.probe.publish(self.carsim + "cmd/modify_charging_session", script)

    def inject(self, error_type: str, active: bool = True) -> None:
        """A physical fault on the simulated board, by its carsim name."""
        self.probe.publish(self.carsim + "error",
                           {"error_type": error_type, "raise": "true" if active else "false"})

    def hold(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass (to see that something does *not* happen)."""
        self.sim.clock.sleep(seconds)

    def plug_in_and_charge(self, script: str = PLUG_IN_16A + STAY) -> int:
        """Plug the car in; wait for the session to start and relay 1 to close.

        Returns the mark of the session's first event.
        """
        mark, since = self.mark(), self.now()
        self.car(script)
        self.wait_events(*SESSION_START, since=mark)
        self.log.wait_for("relay1", "contact", True, since=since, timeout=15)
        return mark

    def wait_log(self, subject: str, change: str, test: Callable[[Any], bool], since: float,
                 what: str, timeout: float = 15.0) -> Event:
        """Wait for the first board event since ``since`` whose value passes ``test``."""
        def found() -> Event | None:
            return next((e for e in self.log.events(subject, change, since=since)
                         if test(e.value)), None)
        return wait_until(found, timeout, what)

    def wait_current(self, amps: float, since: float, timeout: float = 15.0) -> Event:
        """Wait until the car draws ``amps`` on each phase (as the duty signals it, rounded)."""
        return self.wait_log("meter", "current_A",
                             lambda value: all(abs(a - amps) < 0.01 for a in value), since,
                             f"{amps} A on every phase", timeout)

    def wait_duty(self, percent: float, since: float, timeout: float = 15.0) -> Event:
        """Wait until the CP shows ``percent`` duty (PWM resolution: 1 ns of 1 ms)."""
        return self.wait_log("cp", "output",
                             lambda value: value != "off" and abs(value - percent) < 0.001,
                             since, f"a duty of {percent} %", timeout)

    def api(self, command: str, payload: Any = "") -> None:
        """``everest_api/connector/cmd/<command>``."""
        self.probe.publish(self.api_prefix + "cmd/" + command,
                           payload if isinstance(payload, str) else json.dumps(payload))

    # -- eyes -----------------------------------------------------------------------------------
    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """The EvseManager's session events, oldest first, from the ``since``-th on."""
        return [event for event in map(_session_event, self.probe.raw(self.session_event_topic))
                if event is not None][since:]

    def names(self, since: int = 0) -> list[str]:
        return [e["event"] for e in self.events(since)]

    def mark(self) -> int:
        """A position in the session events: pass it as ``since`` to look only at later ones."""
        return len(self.events())

    def wait_events(self, *names: str, since: int = 0, timeout: float = 15.0
                    ) -> list[dict[str, Any]]:
        """Wait until ``names`` occurred in this order (others may come between); return them."""
        def matched(_messages: Any) -> list[dict[str, Any]] | None:
            found: list[dict[str, Any]] = []
            for event in self.events(since):
                if len(found) < len(names) and event["event"] == names[len(found)]:
                    found.append(event)
            return found if len(found) == len(names) else None
        try:
            return self.probe.wait_for(matched, timeout)
        except AssertionError:
            raise AssertionError(f"session events {list(names)} not seen within {timeout} s; "
                                 f"saw {self.names(since)}; {self.board_summary()}") from None

    def board_summary(self) -> str:
        """The board's state and latest events, for failure messages."""
        snapshot = self.board.snapshot()
        return (f"board at {snapshot['time']} s: car {snapshot['car']['state']}, CP "
                f"{snapshot['cp']['output']}, relay 1 {snapshot['relays']['1']['contact']}; "
                f"last events {self.log.events()[-8:]}")

    def session_info(self) -> dict[str, Any]:
        """The API's latest ``session_info``."""
        infos = self.probe.payloads(self.api_prefix + "var/session_info")
        return infos[-1] if infos else {}

    def wait_info(self, state: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for a ``session_info`` in ``state`` (published on change and every second)."""
        topic = self.api_prefix + "var/session_info"
        self.probe.wait_for(lambda _m: any(p["state"] == state
                                           for p in self.probe.payloads(topic)[-3:]), timeout)
        return self.session_info()

    def info_states(self) -> list[str]:
        """Every ``session_info`` state published so far, repeats left out."""
        states: list[str] = []
        for info in self.probe.payloads(self.api_prefix + "var/session_info"):
            if not states or states[-1] != info["state"]:
                states.append(info["state"])
        return states

    def active_errors(self) -> list[dict[str, Any]]:
        """The API's latest ``active_errors`` (from the ErrorHistory)."""
        published = self.probe.payloads(self.errors_topic)
        return published[-1] if published else []

    def wait_active_error(self, error_type: str, present: bool = True, timeout: float = 10.0
                          ) -> None:
        """Wait until the API lists (or no longer lists) an active error of ``error_type``."""
        def listed(_messages: Any) -> bool:
            return any(e["type"] == error_type for e in self.active_errors()) == present
        self.probe.wait_for(listed, timeout)

    def history(self) -> list[tuple[str, str]]:
        """(type, state) of every error in the ErrorHistory's SQLite file."""
        with sqlite3.connect(self.database) as db:
            return db.execute("SELECT type, state FROM errors").fetchall()


@contextmanager
def sil_stack(tmp_path: Path, broker: Any, config: dict[str, Any] | None = None,
              edit: Callable[[str], str] | None = None, available: bool = True
              ) -> Iterator[Sil]:
    """Run ``config`` (default: bsp-only.yaml) on the simulated board with a healthy car.

    ``edit`` rewrites the YAML text before it is loaded, for what a dict cannot say (such as
    an unquoted ``no``). ``available`` False: the EVSE is expected to be disabled soon after
    the start (by a module's stored state), so its control pilot never shows "no car".
    """
    config = copy.deepcopy(config or bsp_only())
    database = tmp_path / "error_history.db"
    config["active_modules"]["error_history"]["config_implementation"]["error_history"][
        "database_path"] = str(database)
    path = write_config(tmp_path, config)
    if edit is not None:
        path.write_text(edit(path.read_text()))
    settings = yaml.safe_load(path.read_text())["settings"]
    everest, external = settings["mqtt_everest_prefix"], settings["mqtt_external_prefix"]
    catalog, definitions, loaded = loading.load(path, [])
    sim = Simulation.for_config(loaded, catalog)
    probe = Probe(broker.address)
    manager = Manager(loaded, catalog, definitions, broker.address, clock=sim.clock,
                      hal=sim.hal, extra_modules=sim.extra_modules)
    supervisor = threading.Thread(target=manager.run, kwargs={"period": 0.05}, daemon=True)
    try:
        bsp = next(module_id for module_id, module in config["active_modules"].items()
                   if module["module"] == "CbTarragonDriver")
        sil = Sil(sim, probe, everest, external, database, bsp)
        sil.manager = manager
        manager.start(ready_timeout=15)
        supervisor.start()
        probe.wait_for(lambda _m: {"data": True} in probe.payloads(sil.car_enabled_topic))
        sil.wait_events("Enabled")
        # Every scenario starts from a known state: the board reported "no car" (A) with its CP
        # generator on. (A car plugged in during the first samples after enable(true) is covered
        # by tests/modules/board/test_sampler.py::test_republish_waits_for_a_state_on_its_way.)
        if available:
            probe.wait_for(lambda _m: {"data": {"event": "A"}} in probe.payloads(
                sil.bsp_event_topic))
        yield sil
    finally:
        manager.stop_requested.set()  # the supervisor's loop then stops the modules
        if supervisor.ident is not None:
            supervisor.join(15)
        else:
            manager.stop()
        sim.close()
        probe.close()


def _session_event(payload: bytes) -> dict[str, Any] | None:
    """The event in a ``session_event`` message; None for anything else on that topic (the
    reliability tests' fuzzing publishes garbage there too)."""
    try:
        message = json.loads(payload)
    except ValueError:
        return None
    data = message.get("data") if isinstance(message, dict) else None
    return data if isinstance(data, dict) and "event" in data else None
