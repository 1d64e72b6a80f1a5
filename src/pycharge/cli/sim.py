"""Watch a car charge on the simulated Charge Control C: the first thing to run.

The configuration (default: the packaged bsp-only.yaml, chargebyte's minimal setup) runs on the
simulated board with a simulated car and an embedded MQTT broker. A scripted session follows:
the car plugs in and charges at 16 A, the charger pauses and resumes (over the API, as a display
would), the car pauses and resumes, the car is unplugged. One line per second shows the session
state, the control pilot, the current per phase, power, energy and the relays; session events
appear as they happen; a summary ends it. Times are the simulated board's clock. The stack's
own log (stderr) shows warnings and errors only, unless --log-level debug asks for everything.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import logging
import sys
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pycharge.cli import loading
from pycharge.cli.run import Stack
from pycharge.runtime.mqtt import MqttConnection
from pycharge.runtime.usererror import UserError

NAME = "sim"
HELP = "watch a charging session on the simulated board (no hardware, no broker needed)"
DRAW_16A = "draw_power_regulated 16,3;sleep 36000"  # EvManager script: 16 A on 3 phases
PLUG_IN = "sleep 1;iec_wait_pwr_ready;" + DRAW_16A
STEP_LIMIT_S = 30.0  # a step of the demo that takes longer (simulated) is a failure


@dataclass(frozen=True)
class Timing:
    """How long the demo charges and pauses, in simulated seconds."""

    charge_s: float
    pause_s: float


NORMAL, QUICK = Timing(charge_s=8.0, pause_s=4.0), Timing(charge_s=3.0, pause_s=2.0)


class StepFailedError(Exception):
    """The stack did not do what the demo waited for."""


class StopRequestedError(Exception):
    """Ctrl-C or SIGTERM while the demo ran."""


def default_config() -> Path:
    return Path(str(importlib.resources.files("pycharge.configs").joinpath("bsp-only.yaml")))


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", type=Path, default=None,
                        help="EVerest-format YAML configuration (default: the packaged "
                             "bsp-only.yaml)")
    parser.add_argument("--broker", metavar="HOST:PORT|unix:PATH|embedded",
                        help="MQTT broker (default: the config's, else an embedded one)")
    parser.add_argument("--quick", action="store_true",
                        help="shorter phases: about 25 s instead of about 35 s (simulated)")
    parser.add_argument("--script", metavar="COMMANDS",
                        help="drive the car with this EvManager script instead, until its "
                             "session ends, e.g. 'sleep 1;iec_wait_pwr_ready;"
                             "draw_power_regulated 16,3;sleep 20;unplug'")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                        help="with --script: give up after S simulated seconds (default 300)")
    loading.add_module_dirs(parser)


def run(args: argparse.Namespace) -> int:
    if args.log_level == "info":  # the default: the stack's info logs would bury the demo
        logging.getLogger().setLevel(logging.WARNING)
    # Imported here, not at the top: every ``pycharge`` command builds this command's parser,
    # and the charger's own ``pycharge run`` should not load the simulation (start-up on the
    # board's single core).
    from pycharge.simulation.car_script import ScriptError, parse

    if args.script is not None:
        try:
            parse(args.script)
        except ScriptError as exc:
            raise UserError(f"--script: {exc}") from None
    path = args.config or default_config()
    catalog, definitions, config = loading.load(path, args.modules_dir)
    stack_args = argparse.Namespace(config=path, sim=True, broker=args.broker,
                                    process_per_module=False, ready_timeout=30.0,
                                    modules_dir=args.modules_dir)
    with Stack(stack_args, catalog, definitions, config) as stack:
        demo = Demo(stack, sys.stdout)
        try:
            if args.script is not None:
                demo.custom(args.script, args.timeout)
            else:
                demo.play(QUICK if args.quick else NORMAL)
        except StepFailedError as exc:
            print(f"pycharge sim: {exc}", file=sys.stderr)
            return 1
        except StopRequestedError:
            return 130
        finally:
            demo.close()
        demo.summary()
    return 0


class Demo:
    """Drives the simulated car and the API over MQTT and shows what the stack does."""

    def __init__(self, stack: Stack, out: TextIO) -> None:
        modules = stack.manager.modules
        evses = sorted(m for m, c in modules.items() if c.name == "EvseManager")
        if not evses or stack.simulation is None:
            raise UserError("the configuration has no EvseManager: there is nothing to charge")
        self.evse = evses[0]
        car = next(c for c in modules.values() if c.name == "CarSimulator")
        self.manager, self.car_id = stack.manager, car.id
        self.has_api = any(c.name == "API" and any(
            f.module_id == self.evse for f in c.connections.get("evse_manager", []))
            for c in modules.values())
        self.out = out
        self.clock = stack.simulation.clock
        self.board = stack.simulation.board
        self.stop_requested = stack.manager.stop_requested
        external = stack.config.settings.mqtt_external_prefix
        self.carsim = f"{external}everest_external/nodered/{car.config['connector_id']}/carsim/"
        self.api = f"{external}everest_api/{self.evse}/cmd/"
        self.events: list[tuple[float, dict[str, Any]]] = []
        self._shown = 0
        self._changed = threading.Condition()
        self._since = 0
        self.state = "Unknown"
        self.session_start_wh = 0.0
        self.next_line = 0.0
        self.bus = MqttConnection(stack.manager.connection.address, name="pycharge-sim")
        self.bus.start()
        self.bus.subscribe(stack.manager.topics.var(self.evse, "evse", "session_event"),
                           self._on_session_event)

    def close(self) -> None:
        self.bus.stop()

    # -- the scenarios ---------------------------------------------------------------------------
    def play(self, timing: Timing) -> None:
        self._wait_until_ready()
        self._say("The car plugs in and asks for 16 A on three phases")
        self._car("execute_charging_session", PLUG_IN)
        self._wait("power to flow", self._power_flows)
        self._hold(timing.charge_s)
        if self.has_api:
            self._say(f"The charger pauses the session: everest_api/{self.evse}/cmd/pause_charging")
            self.bus.publish(self.api + "pause_charging", "")
            self._wait("ChargingPausedEVSE", lambda: self._seen("ChargingPausedEVSE"))
            self._hold(timing.pause_s)
            self._say("The charger resumes: .../cmd/resume_charging (relays close at most every "
                      "10 s)")
            self.bus.publish(self.api + "resume_charging", "")
            self._wait("power to flow again", self._power_flows)
            self._hold(timing.charge_s)
        else:
            self._say("No API module in this configuration: the charger does not pause")
        self._say("The car pauses (it needs no power for now): CP C -> B")
        self._car("modify_charging_session", "pause;sleep 36000")
        self._wait("ChargingPausedEV", lambda: self._seen("ChargingPausedEV"))
        self._hold(timing.pause_s)
        self._say("The car asks for power again: CP B -> C")
        self._car("modify_charging_session", DRAW_16A)
        self._wait("power to flow again", self._power_flows)
        self._hold(timing.charge_s)
        self._say("The car is unplugged")
        self._car("modify_charging_session", "unplug")
        self._wait("SessionFinished", lambda: self._seen("SessionFinished"))
        self._hold(1.0)

    def custom(self, script: str, timeout: float) -> None:
        self._wait_until_ready()
        self._say(f"Car script: {script}")
        self._car("execute_charging_session", script)
        self._wait("a session to end", lambda: self._seen("SessionFinished"), timeout)
        self._hold(1.0)

    # -- driving -----------------------------------------------------------------------------------
    def _car(self, command: str, script: str) -> None:
        self.bus.publish(self.carsim + "cmd/" + command, script)

    def _wait_until_ready(self) -> None:
        """The car is enabled and the charger has had its CP generator on for a moment."""
        self.out.write(f"{'time':>8}  {'session':<19} {'CP':<11} {'current L1/L2/L3':<19} "
                       f"{'power':>9} {'energy':>10}  relays\n")

        def ready() -> bool:
            module = self.manager.host(self.car_id).module  # this process runs it
            switched_on = self.board.log.first("cp", "output", 100.0)
            return bool(module is not None and module.enabled and switched_on is not None
                        and self.clock.monotonic() - switched_on.time > 0.5)
        self._wait("the charger to be ready", ready)

    def _power_flows(self) -> bool:
        return any(self.board.snapshot()["meter"]["current_A"])

    def _seen(self, name: str) -> bool:
        with self._changed:
            return any(event["event"] == name for _, event in self.events[self._since:])

    # -- watching ----------------------------------------------------------------------------------
    def _on_session_event(self, _topic: str, payload: bytes) -> None:
        """Network thread: keep the event; the main loop prints it."""
        try:
            event = json.loads(payload)["data"]
        except (ValueError, KeyError, TypeError):
            return
        with self._changed:
            self.events.append((self.clock.monotonic(), event))
            self._changed.notify_all()

    def _say(self, text: str) -> None:
        self._show()
        self.out.write(f"== {text}\n")
        self.out.flush()
        with self._changed:
            self._since = len(self.events)

    def _hold(self, seconds: float) -> None:
        end = self.clock.monotonic() + seconds
        self._wait(f"{seconds} s to pass", lambda: self.clock.monotonic() >= end, seconds + 5)

    def _wait(self, what: str, done: Callable[[], bool], limit: float = STEP_LIMIT_S) -> None:
        deadline = self.clock.monotonic() + limit
        while True:
            self._show()
            if done():
                return
            if self.stop_requested.is_set():
                raise StopRequestedError
            if self.clock.monotonic() > deadline:
                raise StepFailedError(f"waited {limit:.0f} s (simulated) for {what} in vain")
            with self._changed:
                self._changed.wait(0.05)

    def _show(self) -> None:
        """Print the session events that arrived, and a status line once a second."""
        with self._changed:
            new, self._shown = self.events[self._shown:], len(self.events)
        from pycharge.modules.API.session_info import state_after

        for at, event in new:
            self.state = state_after(event, self.state)
            if event["event"] == "SessionStarted":
                self.session_start_wh = self.board.snapshot()["meter"]["energy_Wh"]
            self.out.write(f"{at:7.1f}s  >> {describe(event)}\n")
        now = self.clock.monotonic()
        if now >= self.next_line:
            self.next_line = int(now) + 1.0
            self.out.write(self._status(now) + "\n")
        self.out.flush()

    def _status(self, now: float) -> str:
        board = self.board.snapshot()
        output = board["cp"]["output"]
        pwm = {"off": "off", 100.0: "X1", 0.0: "F"}.get(output) or f"{output:.1f} %"
        amps = "/".join(f"{a:4.1f}" for a in board["meter"]["current_A"])
        relays = "closed" if any(r["contact"] for r in board["relays"].values()) else "open"
        energy = board["meter"]["energy_Wh"] - self.session_start_wh
        return (f"{now:7.1f}s  {self.state:<19} {board['car']['state']} {pwm:<9} {amps} A  "
                f"{board['meter']['power_W'] / 1000:6.2f} kW {energy:7.2f} Wh  {relays}")

    # -- the end -----------------------------------------------------------------------------------
    def summary(self) -> None:
        """Duration, energy and events of the (last) session."""
        times = {event["event"]: at for at, event in self.events}
        names = [event["event"] for _, event in self.events]
        if "SessionStarted" in names:
            names = names[names.index("SessionStarted"):]
        peak = max(max(e.value) for e in self.board.log.events("meter", "current_A"))
        lines = ["", "Session summary"]
        if "SessionStarted" in times and "SessionFinished" in times:
            duration = times["SessionFinished"] - times["SessionStarted"]
            lines.append(f"  plugged in     {duration:.1f} s (simulated)")
        lines.append(f"  charging       {self._charging_s():.1f} s at up to {peak:.1f} A per phase")
        billed = billed_wh(self.events)
        if billed is not None:
            lines.append(f"  energy         {billed:.2f} Wh billed (meter readings at "
                         "TransactionStarted and TransactionFinished, up to 1 s old)")
        lines.append(f"  delivered      {self.board.snapshot()['meter']['energy_Wh']:.2f} Wh "
                     "through the relays (the simulated meter, since start)")
        lines.append(f"  pauses         {names.count('ChargingPausedEVSE')} by the charger, "
                     f"{names.count('ChargingPausedEV')} by the car")
        lines.append(f"  relays closed  {len(self.board.log.events('relay1', 'coil', True))} "
                     "times")
        lines += textwrap.wrap(f"events ({len(names)}): {', '.join(names)}",
                               width=100, initial_indent="  ", subsequent_indent="    ")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def _charging_s(self) -> float:
        """Simulated seconds during which the car drew current (from the board's log)."""
        total, since = 0.0, None
        for event in self.board.log.events("meter", "current_A"):
            if any(event.value) and since is None:
                since = event.time
            elif not any(event.value) and since is not None:
                total, since = total + event.time - since, None
        return total + (self.clock.monotonic() - since if since is not None else 0.0)


def describe(event: dict[str, Any]) -> str:
    """A session event in one line: its name and what it says about why."""
    name = event["event"]
    detail = {
        "SessionStarted": lambda: event["session_started"]["reason"],
        "TransactionStarted": lambda: "token " + event["transaction_started"]["id_tag"][
            "id_token"]["value"],
        "ChargingPausedEVSE": lambda: ", ".join(event["charging_paused_evse"]["reasons"]),
        "TransactionFinished": lambda: event["transaction_finished"]["reason"],
    }.get(name)
    try:
        return f"{name} ({detail()})" if detail else name
    except (KeyError, TypeError):
        return name


def billed_wh(events: list[tuple[float, dict[str, Any]]]) -> float | None:
    """Energy between the meter values of the last TransactionStarted and TransactionFinished."""
    readings = {}
    for _, event in events:
        key = {"TransactionStarted": "transaction_started",
               "TransactionFinished": "transaction_finished"}.get(event["event"])
        if key is not None:
            readings[key] = event[key]["meter_value"]["energy_Wh_import"]["total"]
    if len(readings) < 2:
        return None
    return readings["transaction_finished"] - readings["transaction_started"]
