"""Run a configuration until SIGTERM or Ctrl-C.

With ``--sim`` the board's hardware is replaced by a simulated board with a simulated car
plugged into it; with no broker given, an embedded broker starts in this process.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
from pathlib import Path

from pycharge.cli import loading
from pycharge.runtime.config import Config
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manager import Manager
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.mqtt import BrokerAddress

NAME = "run"
HELP = "run the charging stack described by a configuration file"
log = logging.getLogger("pycharge.run")


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="EVerest-format YAML configuration")
    add_run_options(parser)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sim", action="store_true",
                        help="simulated board and car instead of the hardware")
    parser.add_argument("--broker", metavar="HOST:PORT|unix:PATH|embedded",
                        help="MQTT broker (default: the config's settings, or localhost:1883; "
                             "with --sim an embedded broker)")
    parser.add_argument("--process-per-module", action="store_true",
                        help="run each module in its own process instead of a thread")
    parser.add_argument("--ready-timeout", type=float, default=30.0, metavar="S",
                        help="how long to wait for every module to become ready")
    loading.add_module_dirs(parser)


def run(args: argparse.Namespace) -> int:
    with Stack(args, *loading.load(args.config, args.modules_dir)) as stack:
        stack.manager.run()
    return 0


class Stack:
    """Broker (if embedded), simulation (if asked for) and manager, started and stopped together."""

    def __init__(self, args: argparse.Namespace, catalog: ModuleCatalog,
                 definitions: Definitions, config: Config) -> None:
        self.args = args
        self.catalog = catalog
        self.definitions = definitions
        self.config = config
        self.broker = None
        self.simulation = None
        self.manager: Manager

    def __enter__(self) -> Stack:
        args, config, catalog = self.args, self.config, self.catalog
        address = self._broker_address()
        clock = hal = None
        extra = []
        if args.sim:
            from pycharge.simulation import Simulation
            self.simulation = Simulation.for_config(config, catalog)
            clock, hal, extra = self.simulation.clock, self.simulation.hal, \
                self.simulation.extra_modules
        else:
            from pycharge.hal.real import RealHal
            hal = RealHal()
        factory = None
        if args.process_per_module:
            from pycharge.runtime.processes import unit_factory
            child_args = [str(args.config), "--broker", str(address),
                          "--log-level", logging.getLevelName(logging.getLogger().level).lower()]
            for directory in args.modules_dir:
                child_args += ["--modules-dir", str(directory)]
            if args.sim:
                child_args.append("--sim")
            in_process = {m.id for m in extra}
            if args.sim:
                in_process |= {m.id for m in config.modules.values()
                               if getattr(catalog.load_class(m.name), "uses_hal", False)}
            factory = unit_factory(child_args, in_process)
        self.manager = Manager(config, catalog, self.definitions, address, clock=clock, hal=hal,
                               extra_modules=extra, unit_factory=factory)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.manager.request_stop())
        self.manager.start(args.ready_timeout)
        return self

    def __exit__(self, *exc: object) -> None:
        self.manager.stop()
        if self.simulation is not None:
            self.simulation.close()
        if self.broker is not None:
            self.broker.stop()

    def _broker_address(self) -> BrokerAddress:
        settings = self.config.settings
        wanted = self.args.broker
        if wanted == "embedded" or (wanted is None and self.args.sim
                                    and not settings.broker_configured):
            from pycharge.broker import EmbeddedBroker
            self.broker = EmbeddedBroker.start_preferring(1883)
            log.info("embedded MQTT broker listening on 127.0.0.1:%d", self.broker.port)
            return BrokerAddress("127.0.0.1", self.broker.port)
        if wanted:
            return BrokerAddress.parse(wanted)
        if settings.mqtt_broker_socket_path:
            return BrokerAddress(socket_path=settings.mqtt_broker_socket_path)
        host = os.environ.get("MQTT_SERVER_ADDRESS", settings.mqtt_broker_host)
        port = int(os.environ.get("MQTT_SERVER_PORT", settings.mqtt_broker_port))
        return BrokerAddress(host, port)
