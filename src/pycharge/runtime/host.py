"""Hosting one module: its thread, its timers, its variables, errors and subscriptions.

The host is the only code that touches the bus on a module's behalf. Messages arrive on the MQTT
network thread and are queued here; the module's own thread takes them one at a time. Commands
are answered by :mod:`serving`, calls to other modules go through :mod:`calls`. A variable or
error message that is not JSON or does not match the interface is logged and dropped before the
module sees it.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pycharge.runtime.calls import Calls, why
from pycharge.runtime.checked import CheckedPayloads
from pycharge.runtime.clock import Clock, RealClock
from pycharge.runtime.config import ModuleConfig
from pycharge.runtime.definitions import Definitions, Interface
from pycharge.runtime.errors import ErrorState, ErrorTracker
from pycharge.runtime.module import SHUTDOWN, CommandError, Connection, Module
from pycharge.runtime.mqtt import MqttConnection
from pycharge.runtime.serving import CommandServer, check_implementations_of_class
from pycharge.runtime.threadname import name_native_thread
from pycharge.runtime.timers import Timer, TimerQueue
from pycharge.runtime.topics import Topics

log = logging.getLogger("pycharge.host")

HEARTBEAT_PERIOD = 1.0
_STOP = object()


@dataclass
class Runtime:
    """What every module host of one process shares."""

    connection: MqttConnection
    topics: Topics
    definitions: Definitions
    external_prefix: str = ""
    clock: Clock = field(default_factory=RealClock)
    hal: Any = None
    command_timeout: float = 10.0
    watchdog: float = 10.0
    checked: CheckedPayloads = field(default_factory=CheckedPayloads)


class ModuleHost:
    """Runs one module instance. A restart makes a new host; a host is never reused."""

    def __init__(self, runtime: Runtime, config: ModuleConfig, module_class: type[Module],
                 on_failure: Callable[[ModuleHost, str], None] | None = None) -> None:
        self.runtime = runtime
        self.config = config
        self._class = module_class
        self._on_failure = on_failure
        self.log = logging.getLogger(f"pycharge.module.{config.id}")
        self.stopping = threading.Event()
        self.ready_published = threading.Event()
        self.ready_called = threading.Event()
        self.failure: str | None = None
        self.module: Module | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._timers = TimerQueue()
        self._undo: list[Callable[[], None]] = []
        self._errors: dict[str, ErrorState] = {}
        self._calls = Calls(config.id, runtime.connection, runtime.definitions, self.post, self.log)
        self._commands = CommandServer(config.id, runtime.connection, runtime.topics,
                                       runtime.definitions, self.post, self.log)
        self._threads: list[threading.Thread] = []
        self._feeds: dict[threading.Thread, list[float]] = {}
        self._busy_since: float | None = None
        self.resources: list[Any] = []
        self._heartbeats = 0
        self._deadline_timer: Timer | None = None
        self._abandoned = False  # left behind hung: its hardware went to the next instance
        self.connections: dict[str, list[Connection]] = {}
        self._worker = threading.Thread(target=self._work, name=config.id, daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop taking messages, let the module shut down, wait for its threads (bounded)."""
        self.stopping.set()
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self._queue.put(_STOP)
        if threading.current_thread() is not self._worker:
            self._worker.join(timeout)
            if self._worker.is_alive():
                self.log.error("did not stop within %.1f s; leaving its thread behind and taking "
                               "its hardware away for the next instance", timeout)
                self._abandoned = True
                self._close_resources()
        for thread in self._threads:
            thread.join(max(0.1, timeout / 4))
        self._calls.fail_all(SHUTDOWN, f"{self.config.id} is stopping")

    def hung(self) -> str | None:
        """Why this module counts as hung, or None while it makes progress."""
        now = time.monotonic()
        if self._worker.ident is not None and not self._worker.is_alive() \
                and not self.stopping.is_set():
            return "its thread ended"
        busy = self._busy_since
        if busy is not None and now - busy > self.runtime.watchdog:
            return f"its thread has been busy in one task for {now - busy:.1f} s"
        for thread, (limit, last) in list(self._feeds.items()):
            if thread.is_alive() and now - last > limit:
                return f"thread {thread.name} did not feed its watchdog for {now - last:.1f} s"
        return None

    def post(self, callback: Callable[..., Any], *args: Any) -> None:
        if not self.stopping.is_set():
            self._queue.put((callback, args))

    def schedule(self, delay: float, period: float | None, callback: Callable[..., None],
                 args: tuple) -> Timer:
        timer = Timer(self.runtime.clock.monotonic() + delay, period, callback, args)
        self.post(self._timers.push, timer)
        return timer

    def spawn(self, name: str, target: Callable[[], None], watchdog: float | None) -> threading.Thread:
        def run() -> None:
            name_native_thread()
            try:
                target()
            except Exception as exc:
                if not self.stopping.is_set():
                    self._fail(f"thread {name} raised {type(exc).__name__}: {exc}", exc)

        thread = threading.Thread(target=run, name=f"{self.config.id}.{name}", daemon=True)
        if watchdog is not None:
            self._feeds[thread] = [watchdog, time.monotonic()]
        self._threads.append(thread)
        thread.start()
        return thread

    def feed_watchdog(self) -> None:
        entry = self._feeds.get(threading.current_thread())
        if entry is not None:
            entry[1] = time.monotonic()

    # -- the module's thread --------------------------------------------------------------------
    def _work(self) -> None:
        name_native_thread()
        try:
            self._run(self._setup)
            while not self.stopping.is_set():
                try:
                    job = self._queue.get(timeout=self._until_next_timer())
                except queue.Empty:
                    job = None
                if job is _STOP:
                    break
                if job is not None:
                    self._run(job[0], *job[1])
                self._run_due_timers()
        finally:
            # Also after a failure, even one that ends the thread (SystemExit): shutdown and
            # closing release the hardware the next instance will need.
            if self.module is not None and not self._abandoned:
                try:
                    self.module.shutdown()
                except Exception:
                    self.log.exception("shutdown failed")
            self._close_resources()

    def _close_resources(self) -> None:
        """Close what ``hardware()`` registered; closing twice is harmless (HAL objects)."""
        while True:
            try:
                resource = self.resources.pop()  # atomic: a stale thread may close too
            except IndexError:
                return
            try:
                resource.close()
            except Exception as exc:
                self.log.error("could not close %r: %s", resource, exc)

    def _run(self, callback: Callable[..., Any], *args: Any) -> None:
        if self.failure is not None:
            return
        self._busy_since = time.monotonic()
        try:
            callback(*args)
        except Exception as exc:
            name = getattr(callback, "__qualname__", repr(callback))
            self._fail(f"{name} raised {type(exc).__name__}: {exc}", exc)
        finally:
            self._busy_since = None

    def _until_next_timer(self) -> float | None:
        # At most a second while timers are pending: a simulated clock may run ahead of the
        # real one. Without timers the thread sleeps until a message comes.
        return self._timers.wait_time(self.runtime.clock.monotonic(), HEARTBEAT_PERIOD)

    def _run_due_timers(self) -> None:
        now = self.runtime.clock.monotonic()
        while not self.stopping.is_set():
            timer = self._timers.pop_due(now)
            if timer is None:
                return
            self._run(timer.callback, *timer.args)

    def _fail(self, reason: str, exc: BaseException | None = None) -> None:
        if self.failure is not None or self.stopping.is_set():
            return
        self.failure = reason
        self.log.error("module failed: %s", reason, exc_info=exc)
        self.stopping.set()
        self._queue.put(_STOP)
        if self._on_failure is not None:
            self._on_failure(self, reason)

    def _setup(self) -> None:
        manifest = self.config.manifest
        for impl_id in manifest.provides:
            self._errors[impl_id] = self._new_error_state(impl_id)
        self.connections = {
            requirement: [Connection(self, f) for f in fulfillments]
            for requirement, fulfillments in self.config.connections.items()
        }
        check_implementations_of_class(self._class, self.config, self.runtime.definitions)
        self.module = self._class(self)
        self._subscribe(self.runtime.topics.responses_to(self.config.id), self._calls.on_response)
        for impl_id, implementation in self.module.impl.items():
            self._errors[impl_id].reset()
            self._subscribe(self.runtime.topics.cmd(self.config.id, impl_id, "+"),
                            lambda topic, payload, impl=implementation:
                            self._commands.on_command(impl, topic, payload))
        self._undo.append(self.runtime.connection.on_reconnect(lambda: self.post(self._reconnected)))
        self.module.init()
        if self.config.heartbeat:
            self.schedule(HEARTBEAT_PERIOD, HEARTBEAT_PERIOD, self._heartbeat, ())
        self.runtime.connection.publish(self.runtime.topics.module_ready(self.config.id), b"true")
        self.ready_published.set()
        self._subscribe(self.runtime.topics.global_ready, self._on_global_ready)

    def _on_global_ready(self, topic: str, payload: bytes) -> None:
        if payload == b"true":
            self.post(self._call_ready)

    def _call_ready(self) -> None:
        if not self.ready_called.is_set() and self.module is not None:
            self.ready_called.set()
            self.module.ready()

    def _reconnected(self) -> None:
        if self.stopping.is_set() or self.module is None:
            return
        for state in self._errors.values():
            state.republish()
        self.module.reconnected()

    def _heartbeat(self) -> None:
        self._heartbeats += 1
        self.runtime.connection.publish(self.runtime.topics.heartbeat(self.config.id),
                                        str(self._heartbeats), qos=0)

    def _subscribe(self, topic_filter: str, handler: Callable[[str, bytes], None]) -> None:
        self._undo.append(self.runtime.connection.subscribe(topic_filter, handler))

    # -- provided implementations: commands, variables, errors ------------------------------------
    def interface_of(self, impl_id: str) -> Interface:
        name = self.config.manifest.provides[impl_id].interface
        return self.runtime.definitions.interfaces[name]

    def error_state(self, impl_id: str) -> ErrorState:
        return self._errors[impl_id]

    def _new_error_state(self, impl_id: str) -> ErrorState:
        origin: dict[str, Any] = {"module_id": self.config.id, "implementation_id": impl_id}
        mapping = (self.config.mapping.get("implementations") or {}).get(impl_id) \
            or self.config.mapping.get("module")
        if mapping:
            origin["mapping"] = dict(mapping)
        topics = self.runtime.topics
        return ErrorState(origin, self.interface_of(impl_id).errors,
                          self.runtime.definitions.error_description,
                          lambda error_type: topics.error(self.config.id, impl_id, error_type),
                          self._publish_retained)

    def _publish_retained(self, topic: str, payload: bytes) -> None:
        if not self.stopping.is_set():
            self.runtime.connection.publish(topic, payload, retain=True)

    def publish_var(self, impl_id: str, var: str, value: Any) -> None:
        if self.stopping.is_set():
            return
        interface = self.interface_of(impl_id)
        if var not in interface.vars:
            raise ValueError(f"interface {interface.name} has no variable '{var}'")
        problems = self.runtime.definitions.check(value, interface.vars[var], var)
        if problems:
            raise ValueError(f"{impl_id}.{var}: {'; '.join(problems)}")
        topic = self.runtime.topics.var(self.config.id, impl_id, var)
        payload = json.dumps({"data": value}).encode()
        self.runtime.checked.add(topic, payload)
        self.runtime.connection.publish(topic, payload)

    # -- requirements: calls, variables, errors ----------------------------------------------------
    def call(self, connection: Connection, cmd: str, args: dict[str, Any],
             timeout: float | None) -> Future:
        if self.stopping.is_set():
            future: Future = Future()
            future.set_exception(CommandError(SHUTDOWN, f"{self.config.id} is stopping"))
            return future
        topic = self.runtime.topics.cmd(connection.module_id, connection.implementation_id, cmd)
        timeout = self.runtime.command_timeout if timeout is None else timeout
        future = self._calls.call(topic, connection.interface, cmd, args, timeout)
        if not future.done():
            self.post(self._watch_deadlines)
        return future

    def _watch_deadlines(self) -> None:
        """One timer, at the earliest deadline of the calls awaiting an answer (none when no
        call is pending): it fails the calls nobody answered in time."""
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        self._calls.expire()
        wait = self._calls.until_next_deadline()
        if wait is not None:
            self._deadline_timer = self.schedule(wait, None, self._watch_deadlines, ())

    def subscribe_var(self, connection: Connection, var: str, callback: Callable[[Any], None]) -> None:
        spec = connection.interface.vars.get(var)
        if spec is None:
            raise ValueError(f"interface {connection.interface.name} has no variable '{var}'")
        topic = self.runtime.topics.var(connection.module_id, connection.implementation_id, var)
        self._subscribe(topic, lambda t, payload: self.post(self._deliver_var, t, spec, payload,
                                                            callback))

    def _deliver_var(self, topic: str, spec: dict, payload: bytes, callback: Callable) -> None:
        try:
            message = json.loads(payload)
            value = message["data"]
        except (ValueError, KeyError, TypeError) as exc:
            self.log.error("rejected variable on %s: %s", topic, why(exc))
            return
        if (topic, payload) not in self.runtime.checked:
            problems = self.runtime.definitions.check(value, spec, topic.rsplit("/", 1)[1])
            if problems:
                self.log.error("rejected variable on %s: %s", topic, "; ".join(problems))
                return
        callback(value)

    def subscribe_errors(self, module_id: str, impl_id: str, on_raised: Callable,
                         on_cleared: Callable) -> None:
        if module_id == "+" and not self.config.manifest.enable_global_errors:
            raise ValueError(f"{self.config.name}: manifest does not set enable_global_errors")
        tracker = ErrorTracker()
        self._subscribe(self.runtime.topics.errors_of(module_id, impl_id),
                        lambda topic, payload: self.post(self._deliver_errors, tracker, topic,
                                                         payload, on_raised, on_cleared))

    def _deliver_errors(self, tracker: ErrorTracker, topic: str, payload: bytes,
                        on_raised: Callable, on_cleared: Callable) -> None:
        try:
            raised, cleared = tracker.update(topic, json.loads(payload) if payload else {})
        except (ValueError, TypeError) as exc:
            self.log.error("rejected error message on %s: %s", topic, why(exc))
            return
        for error in raised:
            on_raised(error)
        for error in cleared:
            on_cleared(error)

    def subscribe_heartbeat(self, module_id: str, callback: Callable[[int], None]) -> None:
        def beat(_topic: str, payload: bytes) -> None:
            try:
                number = int(payload)
            except ValueError:
                self.log.error("ignored a heartbeat of %s that is not a number: %r", module_id,
                               payload[:40])
                return
            self.post(callback, number)

        self._subscribe(self.runtime.topics.heartbeat(module_id), beat)

    # -- external MQTT ------------------------------------------------------------------------------
    def _require_external(self) -> None:
        if not self.config.manifest.enable_external_mqtt:
            raise ValueError(f"{self.config.name}: manifest does not set enable_external_mqtt")

    def publish_external(self, topic: str, payload: str | bytes, retain: bool) -> None:
        self._require_external()
        if not self.stopping.is_set():
            self.runtime.connection.publish(self.runtime.external_prefix + topic, payload, qos=0,
                                            retain=retain)

    def subscribe_external(self, topic_filter: str, callback: Callable[[str, bytes], None]) -> None:
        self._require_external()
        prefix = self.runtime.external_prefix
        self._subscribe(prefix + topic_filter,
                        lambda topic, payload: self.post(callback, topic[len(prefix):], payload))
