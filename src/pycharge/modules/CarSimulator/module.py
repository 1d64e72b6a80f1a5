"""CarSimulator: the simulated car and power meter at the simulated board (``--sim`` only).

The car is driven by EvManager command scripts on ``everest_external/nodered/<id>/carsim/cmd/*``
and faults on ``.../carsim/error`` (a physical fault on the board, or an error raised here where
the board has nothing physical for it); the board's electrical state goes out as JSON on
``pycharge/sim/<id>/board`` and the car's SoC as EvManager's ``ev_info`` (see README.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar

from pycharge.runtime.module import Implementation, Module
from pycharge.runtime.timers import Timer
from pycharge.simulation.battery import Battery
from pycharge.simulation.car_script import ScriptError, ScriptRunner
from pycharge.simulation.faults import Reported, lookup

NOT_SIGNED = "the simulated meter does not sign transactions"
SIMULATED = "Simulated fault event"  # YetiSimulator's message for the errors it raises


class Main(Implementation):
    def enable(self, value: bool) -> None:
        self.module.set_enabled(value)

    def execute_charging_session(self, value: str) -> None:
        self.module.execute(value)


class Powermeter(Implementation):
    def start_transaction(self, value: dict) -> dict:
        return {"status": "NOT_SUPPORTED", "error": NOT_SIGNED}

    def stop_transaction(self, transaction_id: str) -> dict:
        return {"status": "NOT_SUPPORTED", "error": NOT_SIGNED}


class EvManager(Implementation):
    """``ev_manager``: no commands; the module publishes ``ev_info``."""


class CarSimulator(Module):
    implementations: ClassVar = {"main": Main, "powermeter": Powermeter, "ev_manager": EvManager}
    uses_hal = True

    def init(self) -> None:
        self.board = getattr(self.hal, "board", None)
        if self.board is None:
            raise RuntimeError("CarSimulator needs the simulated board: run with --sim")
        config = self.config
        battery = Battery(config["dc_energy_capacity"], config["soc"])
        try:
            self.runner = ScriptRunner(self.board, config["max_current"], config["three_phases"],
                                       battery, config["plugin_commands"])
        except ScriptError as exc:
            raise ValueError(f"config key plugin_commands: {exc}") from None
        self.enabled = False
        self.meter_silent = False
        self._ev_info: dict | None = None
        self._published: dict | None = None
        self._published_at = float("-inf")
        self._loop: Timer | None = None  # the car's loop runs only while a script does
        connector = config["connector_id"]
        self.board_topic = f"pycharge/sim/{connector}/board"
        carsim = f"everest_external/nodered/{connector}/carsim/"
        self.subscribe_external(carsim + "cmd/enable",
                                lambda _t, p: self.set_enabled(p.strip() == b"true"))
        self.subscribe_external(carsim + "cmd/execute_charging_session",
                                lambda _t, p: self.execute(p.decode(errors="replace")))
        self.subscribe_external(carsim + "cmd/modify_charging_session",
                                lambda _t, p: self.modify(p.decode(errors="replace")))
        self.subscribe_external(carsim + "error", self._on_error)

    def ready(self) -> None:
        self.impl["main"].publish("enabled", self.enabled)
        self.every(self.config["board_publish_interval_ms"] / 1000.0, self._publish_board)
        self.every(self.config["meter_publish_interval_ms"] / 1000.0, self._publish_meter)
        self._publish_meter()
        if self.config["auto_enable"]:
            self.set_enabled(True)
        if self.config["auto_exec"]:
            self.execute(self.config["auto_exec_commands"])

    def reconnected(self) -> None:
        self.impl["main"].publish("enabled", self.enabled)
        self._published = None
        self._ev_info = None

    # -- the car ---------------------------------------------------------------------------------
    def set_enabled(self, value: bool) -> None:
        if value == self.enabled:
            self.log.warning("simulation already %s", "enabled" if value else "disabled")
            return
        self.runner.reset()
        self.enabled = value
        self.impl["main"].publish("enabled", value)

    def execute(self, script: str) -> None:
        if not self.enabled:
            self.log.warning("simulation disabled, cannot execute charging simulation")
        elif self.runner.running:
            self.log.warning("a charging session simulation is already running")
        else:
            self._run(self.runner.execute, script)

    def modify(self, script: str) -> None:
        if not self.enabled:
            self.log.warning("simulation disabled, cannot modify charging simulation")
        else:
            self._run(self.runner.modify, script)

    def _run(self, start: Callable[[str], None], script: str) -> None:
        try:
            start(script)
        except ScriptError as exc:
            self.log.error("rejected car script %r: %s", script, exc)
            return
        self.log.info("car script: %s", script)
        if self._loop is None:
            self._loop = self.every(self.config["loop_interval_ms"] / 1000.0, self._step)
        self._step()

    def _step(self) -> None:
        if self.enabled:
            was_running = self.runner.running
            self.runner.step()
            if was_running and not self.runner.running:
                self.log.info("finished simulation")
                if self.config["auto_exec"] and self.config["auto_exec_infinite"]:
                    self.execute(self.config["auto_exec_commands"])
        if not (self.enabled and self.runner.running) and self._loop is not None:
            self._loop.cancel()  # an idle car has nothing to look at: no wakeups
            self._loop = None
        self._publish_board()
        self._publish_ev_info()

    def _on_error(self, _topic: str, payload: bytes) -> None:
        try:
            message = json.loads(payload)
            fault = lookup(str(message["error_type"]))
        except (ValueError, KeyError, TypeError) as exc:
            self.log.warning("ignoring carsim error message %r: %s", payload[:200], exc)
            return
        active = str(message.get("raise", "false")).lower() == "true"
        if isinstance(fault, Reported):
            self._report(fault, active)
            return
        self.log.info("%s fault %s", "injecting" if active else "removing", fault)
        self.board.set_fault(fault, active)
        self._publish_board()

    def _report(self, fault: Reported, active: bool) -> None:
        """No physical fault behind it: raise or clear the error itself, as YetiSimulator does."""
        impl = self.impl[fault.implementation]
        self.log.info("%s %s on %s (%s)", "raising" if active else "clearing", fault.error_type,
                      fault.implementation, fault.why)
        if active:
            impl.raise_error(fault.error_type, SIMULATED)
        else:
            impl.clear_error(fault.error_type)
        if fault.implementation == "powermeter":
            self.meter_silent = active

    # -- publishing -------------------------------------------------------------------------------
    def _publish_board(self) -> None:
        now = self.clock.monotonic()
        if now - self._published_at < self.config["board_publish_interval_ms"] / 1000.0:
            return
        snapshot = self.board.snapshot()
        state = {key: value for key, value in snapshot.items() if key != "time"}
        if state == self._published:
            return
        self._published = state
        self._published_at = now
        self.publish_external(self.board_topic, json.dumps(snapshot))

    def _publish_meter(self) -> None:
        if not self.meter_silent:
            self.impl["powermeter"].publish("powermeter", self.board.meter_reading())

    def _publish_ev_info(self) -> None:
        info = self.runner.ev_info()
        if info is not None and info != self._ev_info:
            self.impl["ev_manager"].publish("ev_info", info)
        self._ev_info = info
