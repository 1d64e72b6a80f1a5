"""CarSimulator: the simulated car and power meter at the simulated board (``--sim`` only).

The car is driven by EvManager command scripts on ``everest_external/nodered/<id>/carsim/cmd/*``
and faults on ``.../carsim/error``; the board's electrical state goes out as JSON on
``pycharge/sim/<id>/board`` (see README.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar

from pycharge.runtime.module import Implementation, Module
from pycharge.runtime.timers import Timer
from pycharge.simulation.car_script import ScriptError, ScriptRunner
from pycharge.simulation.faults import board_fault

NOT_SIGNED = "the simulated meter does not sign transactions"


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


class CarSimulator(Module):
    implementations: ClassVar = {"main": Main, "powermeter": Powermeter}
    uses_hal = True

    def init(self) -> None:
        self.board = getattr(self.hal, "board", None)
        if self.board is None:
            raise RuntimeError("CarSimulator needs the simulated board: run with --sim")
        config = self.config
        self.runner = ScriptRunner(self.board, config["max_current"], config["three_phases"])
        self.enabled = False
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

    def _on_error(self, _topic: str, payload: bytes) -> None:
        try:
            message = json.loads(payload)
            fault = board_fault(str(message["error_type"]))
        except (ValueError, KeyError, TypeError) as exc:
            self.log.warning("ignoring carsim error message %r: %s", payload[:200], exc)
            return
        active = str(message.get("raise", "false")).lower() == "true"
        self.log.info("%s fault %s", "injecting" if active else "removing", fault)
        self.board.set_fault(fault, active)
        self._publish_board()

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
        self.impl["powermeter"].publish("powermeter", self.board.meter_reading())
