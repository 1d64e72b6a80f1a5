"""``--process-per-module``: each module in a child process, supervised by the manager.

Modules that touch the simulated board stay in the manager's process beside the simulation
(one model of the board cannot be shared between processes); on the real board every module
gets its own process. A child that exits, or whose heartbeat stops, is killed and restarted.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from pycharge.runtime.config import ModuleConfig
from pycharge.runtime.manager import Manager, Unit

log = logging.getLogger("pycharge.processes")
# A Python process importing the stack takes about 10 s on an emulated (and a real) Cortex-A7
# when several start at once; its first heartbeat comes a second after its init.
START_LIMIT_S = 120.0


class ProcessUnit:
    """One module in a child process: ``python -m pycharge.runtime.child``."""

    def __init__(self, manager: Manager, config: ModuleConfig, child_args: list[str]) -> None:
        self._manager = manager
        self.config = config
        self._args = child_args
        self._process: subprocess.Popen | None = None
        self._stopping = False
        self._started = time.monotonic()
        self._last_heartbeat: float | None = None
        self._undo = manager.connection.subscribe(
            manager.topics.heartbeat(config.id), lambda _t, _p: self._beat())

    def _beat(self) -> None:
        self._last_heartbeat = time.monotonic()

    @property
    def failure(self) -> str | None:
        if self._process is None or self._stopping:
            return None
        code = self._process.poll()
        return None if code is None else f"its process exited with status {code}"

    def start(self) -> None:
        command = [sys.executable, "-m", "pycharge.runtime.child", *self._args,
                   "--module", self.config.id]
        self._started = time.monotonic()
        self._last_heartbeat = None
        self._process = subprocess.Popen(command)

    def hung(self) -> str | None:
        """Silent for longer than the watchdog once running; a slow start has its own limit."""
        if self._process is None:
            return None
        now = time.monotonic()
        if self._last_heartbeat is None:
            if now - self._started > START_LIMIT_S:
                return f"no heartbeat {START_LIMIT_S:.0f} s after its start"
            return None
        silent = now - self._last_heartbeat
        if silent > self._manager.runtime.watchdog:
            return f"no heartbeat for {silent:.1f} s"
        return None

    def safe_state(self) -> None:
        """Nothing to reach from outside: killing the process releases its hardware."""

    def stop(self, timeout: float = 3.0) -> None:
        self._stopping = True
        self._undo()
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("module %s did not stop in %.1f s; killing it", self.config.id, timeout)
            process.kill()
            process.wait()


def unit_factory(child_args: list[str], in_process: set[str]):
    """A Manager unit factory: children for most modules, threads for ``in_process`` ones."""

    def make(manager: Manager, config: ModuleConfig) -> Unit:
        if config.id in in_process:
            return manager.thread_unit(config)
        return ProcessUnit(manager, config, child_args)

    return make


def child_main(argv: list[str] | None = None) -> int:
    """Entry point of a child process: host one module until SIGTERM or failure."""
    from pycharge.cli.logs import setup_logging
    from pycharge.runtime import config as config_loader
    from pycharge.runtime.definitions import Definitions
    from pycharge.runtime.host import ModuleHost, Runtime
    from pycharge.runtime.manifest import ModuleCatalog
    from pycharge.runtime.mqtt import BrokerAddress, MqttConnection
    from pycharge.runtime.topics import Topics

    parser = argparse.ArgumentParser(prog="pycharge-child")
    parser.add_argument("config", type=Path)
    parser.add_argument("--module", required=True)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--modules-dir", type=Path, action="append", default=[])
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--sim", action="store_true",
                        help="the configuration runs on the simulated board (modules touching "
                             "the board run in the parent, beside the simulation)")
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    catalog = ModuleCatalog(args.modules_dir)
    definitions = Definitions.load(args.modules_dir)
    config = config_loader.load(args.config, catalog, definitions)
    hal = None
    if args.sim:
        from pycharge.simulation.simulation import prepare
        prepare(config, catalog)  # the same wiring as the parent's (e.g. the simulated meter)
    else:
        from pycharge.hal.real import RealHal
        hal = RealHal()
    settings = config.settings
    connection = MqttConnection(BrokerAddress.parse(args.broker), name=f"pycharge-{args.module}")
    runtime = Runtime(connection, Topics(settings.mqtt_everest_prefix), definitions,
                      settings.mqtt_external_prefix, hal=hal)
    done = threading.Event()
    failed: list[str] = []

    def on_failure(_host: ModuleHost, reason: str) -> None:
        failed.append(reason)
        done.set()

    connection.start()
    module_config = config.modules[args.module]
    module_config.heartbeat = True  # the parent watches every child's (ProcessUnit.hung)
    host = ModuleHost(runtime, module_config, catalog.load_class(module_config.name), on_failure)
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    host.start()
    done.wait()
    host.stop()
    connection.stop()
    return 1 if failed else 0
