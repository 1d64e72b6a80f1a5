"""The manager: starts the configured modules, waits until all are ready, supervises them.

A module that raises, dies or hangs is restarted on its own with a growing delay, while the
others keep running; meanwhile ``runtime/ModuleFault`` is raised on each of its implementations
so the modules that depend on it go to their safe state. The manager never takes the stack down
because of one module (EVerest does, and users complain).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pycharge.runtime.clock import Clock, RealClock
from pycharge.runtime.config import Config, ModuleConfig
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.errors import ErrorState
from pycharge.runtime.host import ModuleHost, Runtime
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.mqtt import BrokerAddress, MqttConnection
from pycharge.runtime.sdnotify import Notifier
from pycharge.runtime.topics import Topics
from pycharge.runtime.usererror import UserError

log = logging.getLogger("pycharge.manager")

MODULE_FAULT = "runtime/ModuleFault"
BACKOFF_FIRST, BACKOFF_MAX, STABLE_AFTER = 1.0, 30.0, 60.0


class Unit(Protocol):
    """One supervised module: a thread host here, or a child process."""

    failure: str | None

    def start(self) -> None: ...
    def stop(self, timeout: float = 3.0) -> None: ...
    def hung(self) -> str | None: ...
    def safe_state(self) -> None: ...


class ThreadUnit:
    """A module hosted on a thread of this process."""

    def __init__(self, runtime: Runtime, config: ModuleConfig, module_class: type,
                 on_failure: Callable[[Any, str], None]) -> None:
        self.host = ModuleHost(runtime, config, module_class, on_failure)

    @property
    def failure(self) -> str | None:
        return self.host.failure

    def start(self) -> None:
        self.host.start()

    def stop(self, timeout: float = 3.0) -> None:
        self.host.stop(timeout)

    def hung(self) -> str | None:
        return self.host.hung()

    def safe_state(self) -> None:
        if self.host.module is not None:
            self.host.module.safe_state()


@dataclass
class _Supervised:
    config: ModuleConfig
    unit: Unit | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = 0
    faults: dict[str, ErrorState] = field(default_factory=dict)


class Manager:
    """Runs one validated configuration until :meth:`stop`."""

    def __init__(self, config: Config, catalog: ModuleCatalog, definitions: Definitions,
                 broker: BrokerAddress, *, clock: Clock | None = None, hal: Any = None,
                 extra_modules: list[ModuleConfig] | None = None,
                 unit_factory: Callable[[Manager, ModuleConfig], Unit] | None = None,
                 watchdog: float = 10.0, command_timeout: float = 10.0) -> None:
        self.config = config
        self.catalog = catalog
        self.definitions = definitions
        self.modules = dict(config.modules)
        for extra in extra_modules or []:
            self.modules[extra.id] = extra
        self.topics = Topics(config.settings.mqtt_everest_prefix)
        self.connection = MqttConnection(broker, name="pycharge-manager")
        self.runtime = Runtime(self.connection, self.topics, definitions,
                               config.settings.mqtt_external_prefix, clock or RealClock(), hal,
                               command_timeout=command_timeout, watchdog=watchdog)
        self._unit_factory = unit_factory or Manager.thread_unit
        self._supervised = {m: _Supervised(c) for m, c in self.modules.items()}
        self._ready: set[str] = set()
        self._ready_lock = threading.Condition()
        self._failures: list[tuple[Unit, str]] = []
        self.stop_requested = threading.Event()
        self.notifier = Notifier()
        self.global_ready = threading.Event()

    # -- units -------------------------------------------------------------------------------------
    def thread_unit(self, config: ModuleConfig) -> Unit:
        return ThreadUnit(self.runtime, config, self.catalog.load_class(config.name),
                          self._failed)

    def _failed(self, unit: Any, reason: str) -> None:
        """Called from the failing module's thread: note it; the supervisor loop acts."""
        with self._ready_lock:
            self._failures.append((unit, reason))
            self._ready_lock.notify_all()

    # -- start -------------------------------------------------------------------------------------
    def start(self, ready_timeout: float = 30.0) -> None:
        """Connect, start every module, wait until all are ready (or the timeout), go."""
        self.connection.start()
        self.connection.on_reconnect(self._republish)
        self.connection.publish(self.topics.global_ready, b"", retain=True)
        self.connection.subscribe(self.topics.module_ready("+"), self._on_module_ready)
        for module_id, entry in self._supervised.items():
            for impl_id in entry.config.manifest.provides:
                entry.faults[impl_id] = self._fault_state(module_id, impl_id)
                entry.faults[impl_id].reset()
        started = time.monotonic()
        for entry in self._supervised.values():
            self._start_unit(entry)
        with self._ready_lock:
            self._ready_lock.wait_for(lambda: self._ready >= set(self._supervised),
                                      timeout=ready_timeout)
            missing = sorted(set(self._supervised) - self._ready)
        if missing:
            log.critical("not ready after %.0f s: %s; starting the others anyway", ready_timeout,
                         ", ".join(missing))
        self.connection.publish(self.topics.global_ready, b"true", retain=True)
        self.global_ready.set()
        log.info("all %d modules started in %.0f ms", len(self._supervised) - len(missing),
                 (time.monotonic() - started) * 1000)
        self.notifier.send("READY=1\nSTATUS=charging stack running")

    def _republish(self) -> None:
        """A restarted broker lost retained state: send ours again (network thread)."""
        if self.global_ready.is_set():
            self.connection.publish(self.topics.global_ready, b"true", retain=True)
        for entry in self._supervised.values():
            for state in entry.faults.values():
                state.republish()

    def _start_unit(self, entry: _Supervised) -> None:
        entry.unit = self._unit_factory(self, entry.config)
        entry.started_at = time.monotonic()
        entry.restart_at = None
        entry.unit.start()

    def _on_module_ready(self, topic: str, payload: bytes) -> None:
        module_id = topic[len(self.topics.prefix):].split("/")[1]
        if payload != b"true" or module_id not in self._supervised:
            return
        with self._ready_lock:
            self._ready.add(module_id)
            self._ready_lock.notify_all()
        entry = self._supervised[module_id]
        if entry.restarts:
            log.info("module %s is back after restart %d", module_id, entry.restarts)
            for state in entry.faults.values():
                state.clear(MODULE_FAULT)

    def _fault_state(self, module_id: str, impl_id: str) -> ErrorState:
        return ErrorState({"module_id": module_id, "implementation_id": impl_id}, [MODULE_FAULT],
                          self.definitions.error_description,
                          lambda t: self.topics.error(module_id, impl_id, t),
                          lambda topic, payload: self.connection.publish(topic, payload,
                                                                         retain=True))

    # -- supervise ---------------------------------------------------------------------------------
    def run(self, period: float = 1.0) -> None:
        """Supervise until :meth:`stop` is requested, feeding systemd's watchdog meanwhile.

        A module that fails wakes this loop at once (its safe state comes first); the period
        only bounds how late a hung module (``watchdog``, 10 s) is noticed and how often
        systemd's watchdog (WatchdogSec=20) is fed. A pending restart is waited for exactly.
        """
        while not self.stop_requested.is_set():
            self.supervise_once()
            self.notifier.feed_watchdog()
            with self._ready_lock:
                if not self._failures and not self.stop_requested.is_set():
                    self._ready_lock.wait(self._until_next_restart(period))
        self.stop()

    def request_stop(self) -> None:
        """Make :meth:`run` stop now (safe in a signal handler: the loop is waiting)."""
        self.stop_requested.set()
        with self._ready_lock:
            self._ready_lock.notify_all()

    def _until_next_restart(self, longest: float) -> float:
        now = time.monotonic()
        due = [entry.restart_at - now for entry in self._supervised.values()
               if entry.unit is None and entry.restart_at is not None]
        return max(0.0, min([longest, *due]))

    def supervise_once(self) -> None:
        now = time.monotonic()
        with self._ready_lock:
            failures, self._failures = self._failures, []
        for module_id, entry in self._supervised.items():
            unit = entry.unit
            if unit is None:
                if entry.restart_at is not None and now >= entry.restart_at:
                    entry.restarts += 1
                    log.warning("restarting module %s (restart %d)", module_id, entry.restarts)
                    self._start_unit(entry)
                continue
            reason = next((r for u, r in failures if u is unit), None) or unit.failure \
                or unit.hung()
            if reason:
                self._handle_failure(module_id, entry, reason)
            elif now - entry.started_at > STABLE_AFTER:
                entry.backoff = BACKOFF_FIRST

    def _handle_failure(self, module_id: str, entry: _Supervised, reason: str) -> None:
        unit = entry.unit
        assert unit is not None
        try:
            unit.safe_state()
        except Exception:
            log.exception("safe_state of %s failed", module_id)
        with self._ready_lock:
            self._ready.discard(module_id)
        for state in entry.faults.values():
            state.raise_error(MODULE_FAULT, f"module {module_id} stopped: {reason}; restarting "
                              f"in {entry.backoff:.0f} s", severity="High")
        log.error("module %s stopped (%s); restarting in %.0f s", module_id, reason, entry.backoff)
        unit.stop(timeout=1.0)
        entry.unit = None
        entry.restart_at = time.monotonic() + entry.backoff
        entry.backoff = min(entry.backoff * 2, BACKOFF_MAX)

    # -- stop ---------------------------------------------------------------------------------------
    def stop(self, timeout: float = 10.0) -> None:
        """Stop modules that depend on others first, the board drivers last; bounded in time."""
        self.stop_requested.set()
        self.notifier.send("STOPPING=1")
        deadline = time.monotonic() + timeout
        for module_id in self.stop_order():
            unit = self._supervised[module_id].unit
            self._supervised[module_id].unit = None
            if unit is not None:
                unit.stop(timeout=max(0.1, min(3.0, deadline - time.monotonic())))
        self.connection.publish(self.topics.global_ready, b"", retain=True)
        self.connection.stop()

    def stop_order(self) -> list[str]:
        """Module ids, every module before the modules it requires."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(module_id: str) -> None:
            if module_id in seen:
                return
            seen.add(module_id)
            for dependent, _ in _dependents(self.modules[module_id]):
                if dependent in self.modules:
                    visit(dependent)
            order.append(module_id)

        for module_id in sorted(self.modules):
            visit(module_id)
        return order

    def status(self) -> dict[str, Any]:
        """A snapshot for people and tests: which modules run, how often they restarted."""
        with self._ready_lock:
            ready = set(self._ready)
        return {m: {"ready": m in ready, "restarts": e.restarts, "running": e.unit is not None}
                for m, e in self._supervised.items()}

    def host(self, module_id: str) -> ModuleHost:
        unit = self._supervised[module_id].unit
        if not isinstance(unit, ThreadUnit):
            raise UserError(f"module {module_id} is not hosted in this process")
        return unit.host


def _dependents(config: ModuleConfig) -> list[tuple[str, str]]:
    return [entry for users in config.required_by.values() for entry in users]

