"""What a module author writes against: Module, Implementation, Connection.

A module lives in ``<Name>/module.py`` as ``class <Name>(Module)``. Everything it is given to
run (commands, variables, errors, timers, external topics) runs on the module's own thread, one
at a time, so module code needs no locks of its own. Threads it starts with :meth:`Module.spawn`
hand work back with :meth:`Module.submit`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from pycharge.runtime.errors import Error

if TYPE_CHECKING:
    from pycharge.runtime.config import Fulfillment
    from pycharge.runtime.definitions import Interface
    from pycharge.runtime.host import ModuleHost
    from pycharge.runtime.timers import Timer

class _CanClose(Protocol):
    def close(self) -> None: ...


_Closable = TypeVar("_Closable", bound=_CanClose)

# Error types of failed calls, as EVerest names them (plus NotConnected: the broker is away).
MESSAGE_PARSING_ERROR = "MessageParsingError"
SCHEMA_VALIDATION_ERROR = "SchemaValidationError"
HANDLER_EXCEPTION = "HandlerException"
CMD_TIMEOUT = "CmdTimeout"
SHUTDOWN = "Shutdown"
NOT_READY = "NotReady"
NOT_CONNECTED = "NotConnected"


class CommandError(Exception):
    """A command call that did not produce a result."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class Implementation:
    """One implementation a module provides (an entry of ``provides`` in its manifest).

    Subclasses define one method per command of the interface, named like the command, taking
    the command's arguments as keyword arguments and returning its result.
    """

    def __init__(self, module: Module, impl_id: str) -> None:
        self.module = module
        self.id = impl_id
        self._host = module._host
        self.config: Mapping[str, Any] = self._host.config.implementations.get(impl_id, {})
        self.interface: Interface = self._host.interface_of(impl_id)

    def publish(self, var: str, value: Any) -> None:
        """Publish variable ``var`` of this implementation to everyone who subscribed."""
        self._host.publish_var(self.id, var, value)

    def raise_error(self, error_type: str, message: str = "", sub_type: str = "",
                    severity: str = "High", vendor_id: str = "") -> Error | None:
        """Raise ``namespace/Name``; nothing happens if it is already active."""
        return self._host.error_state(self.id).raise_error(error_type, message, sub_type, severity,
                                                           vendor_id)

    def clear_error(self, error_type: str, sub_type: str | None = None) -> list[Error]:
        """Clear one sub-type of ``error_type``, or all of its sub-types."""
        return self._host.error_state(self.id).clear(error_type, sub_type)

    def clear_all_errors(self) -> list[Error]:
        return self._host.error_state(self.id).clear_all()

    def error_active(self, error_type: str, sub_type: str | None = None) -> bool:
        return self._host.error_state(self.id).is_active(error_type, sub_type)

    def active_errors(self) -> list[Error]:
        return self._host.error_state(self.id).active()


class Connection:
    """A requirement fulfilled by one implementation of another module."""

    def __init__(self, host: ModuleHost, fulfillment: Fulfillment) -> None:
        self._host = host
        self.module_id = fulfillment.module_id
        self.implementation_id = fulfillment.implementation_id
        self.interface: Interface = host.runtime.definitions.interfaces[fulfillment.interface]

    def call(self, cmd: str, timeout: float | None = None, **args: Any) -> Any:
        """Call ``cmd`` and wait for its result; raise :class:`CommandError` if there is none."""
        return self._host.call(self, cmd, args, timeout).result()

    def call_async(self, cmd: str, timeout: float | None = None, **args: Any) -> Future:
        """Call ``cmd`` without waiting; the future holds the result or a CommandError."""
        return self._host.call(self, cmd, args, timeout)

    def subscribe(self, var: str, callback: Callable[[Any], None]) -> None:
        """Run ``callback(value)`` on our thread for each publication of ``var``."""
        self._host.subscribe_var(self, var, callback)

    def subscribe_errors(self, on_raised: Callable[[Error], None],
                         on_cleared: Callable[[Error], None]) -> None:
        """Be told of every error this implementation raises and clears."""
        self._host.subscribe_errors(self.module_id, self.implementation_id, on_raised, on_cleared)

    def __repr__(self) -> str:
        return f"<Connection {self.module_id}.{self.implementation_id} ({self.interface.name})>"


class Module:
    """Base class of every module. Override :meth:`init`, :meth:`ready` and the others you need.

    ``implementations`` maps each implementation id of the manifest to its class; an id left out
    gets a plain :class:`Implementation` (fine for interfaces without commands).
    Set ``uses_hal`` to receive the board's hardware access as ``self.hal``.
    """

    implementations: ClassVar[Mapping[str, type[Implementation]]] = {}
    uses_hal: ClassVar[bool] = False

    def __init__(self, host: ModuleHost) -> None:
        self._host = host
        self.id: str = host.config.id
        self.name: str = host.config.name
        self.config: Mapping[str, Any] = host.config.config
        self.mapping: Mapping[str, Any] = host.config.mapping
        self.log: logging.Logger = logging.getLogger(f"pycharge.module.{self.id}")
        self.clock = host.runtime.clock
        self.hal: Any = host.runtime.hal if self.uses_hal else None
        self.stopping: threading.Event = host.stopping
        self.impl: dict[str, Implementation] = {
            impl_id: self.implementations.get(impl_id, Implementation)(self, impl_id)
            for impl_id in host.config.manifest.provides
        }

    # -- lifecycle hooks ----------------------------------------------------------------------
    def init(self) -> None:
        """Set up and subscribe. Other modules may not be running yet: do not call them here."""

    def ready(self) -> None:
        """Every module of the configuration is running: commands may be called from now on."""

    def shutdown(self) -> None:
        """The module is being stopped: leave the hardware safe and release it."""

    def safe_state(self) -> None:
        """Called from the supervisor's thread when this module hung or died.

        Put any hardware this module controls into its safe state at once. It must not block
        and must not wait for locks that the module's own threads might hold.
        """

    def reconnected(self) -> None:
        """The bus came back after an outage: re-publish state others may have missed."""

    # -- requirements ---------------------------------------------------------------------------
    def connections(self, requirement_id: str) -> list[Connection]:
        """Every connection of a requirement (empty for an optional one left unconnected)."""
        return self._host.connections.get(requirement_id, [])

    def connection(self, requirement_id: str) -> Connection | None:
        """The single connection of a requirement, or None if it is optional and unconnected."""
        found = self.connections(requirement_id)
        if len(found) > 1:
            raise ValueError(f"requirement '{requirement_id}' has {len(found)} connections")
        return found[0] if found else None

    def required_by(self, impl_id: str) -> list[tuple[str, str]]:
        """(module id, requirement id) of every module connected to our ``impl_id``."""
        return list(self._host.config.required_by.get(impl_id, []))

    def subscribe_heartbeat(self, module_id: str, callback: Callable[[int], None]) -> None:
        """Run ``callback(number)`` on our thread for each heartbeat of module ``module_id``.

        A watched module's thread publishes a heartbeat once a second (HEARTBEAT_PERIOD): a
        module is watched if it uses an implementation marked ``x-watches-heartbeats: true``
        in its provider's manifest (runtime/links.py). Its absence means that module hung,
        died or the bus is gone. ``number`` counts from 1 in each instance of the module, so a
        number that does not grow means it was restarted.
        """
        self._host.subscribe_heartbeat(module_id, callback)

    # -- time and threads ------------------------------------------------------------------------
    def call_later(self, delay: float, callback: Callable[..., None], *args: Any) -> Timer:
        """Run ``callback(*args)`` on our thread after ``delay`` seconds of ``self.clock``."""
        return self._host.schedule(delay, None, callback, args)

    def every(self, period: float, callback: Callable[..., None], *args: Any) -> Timer:
        """Run ``callback(*args)`` on our thread every ``period`` seconds."""
        return self._host.schedule(period, period, callback, args)

    def submit(self, callback: Callable[..., None], *args: Any) -> None:
        """Run ``callback(*args)`` on our thread soon; safe to call from any thread."""
        self._host.post(callback, *args)

    def spawn(self, name: str, target: Callable[[], None], watchdog: float | None = None
              ) -> threading.Thread:
        """Start a thread of ours. It must return once ``self.stopping`` is set.

        With ``watchdog`` the thread must call :meth:`feed_watchdog` at least that often, or
        the module counts as hung and is restarted. An exception in it restarts the module.
        """
        return self._host.spawn(name, target, watchdog)

    def feed_watchdog(self) -> None:
        """Tell the supervisor the calling thread is alive (see :meth:`spawn`)."""
        self._host.feed_watchdog()

    def hardware(self, resource: _Closable) -> _Closable:
        """Keep a HAL object: the runtime closes it after :meth:`shutdown`, newest first.

        Also after a failure, so that the next instance of the module can open it again.
        """
        self._host.resources.append(resource)
        return resource

    # -- external MQTT (manifest: enable_external_mqtt) -------------------------------------------
    def publish_external(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        """Publish a raw message under the external prefix (e.g. ``everest_api/...``)."""
        self._host.publish_external(topic, payload, retain)

    def subscribe_external(self, topic_filter: str,
                           callback: Callable[[str, bytes], None]) -> None:
        """Run ``callback(topic, payload)`` on our thread for raw external messages."""
        self._host.subscribe_external(topic_filter, callback)

    # -- all errors (manifest: enable_global_errors) ----------------------------------------------
    def subscribe_all_errors(self, on_raised: Callable[[Error], None],
                             on_cleared: Callable[[Error], None]) -> None:
        """Be told of every error any module raises or clears."""
        self._host.subscribe_errors("+", "+", on_raised, on_cleared)
