"""Answering the commands of the implementations a module provides.

A command is run on the module's thread only if it is well formed, matches the interface, has
not been answered already (a second copy gets the first answer again) and arrives before its
caller's deadline. Whatever the outcome, a caller that can be identified gets an answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pycharge.runtime.calls import check_call, why
from pycharge.runtime.config import ModuleConfig
from pycharge.runtime.definitions import Definitions, Interface
from pycharge.runtime.module import (
    CMD_TIMEOUT,
    HANDLER_EXCEPTION,
    SCHEMA_VALIDATION_ERROR,
    Implementation,
    Module,
)
from pycharge.runtime.mqtt import MqttConnection
from pycharge.runtime.topics import Topics, topic_level
from pycharge.runtime.usererror import UserError

ANSWERS_REMEMBERED = 512


class CommandServer:
    """The commands of one module instance."""

    def __init__(self, module_id: str, connection: MqttConnection, topics: Topics,
                 definitions: Definitions, post: Callable[..., None], log: logging.Logger) -> None:
        self._module_id = module_id
        self._connection = connection
        self._topics = topics
        self._definitions = definitions
        self._post = post
        self._log = log
        self._answered: OrderedDict[str, bytes] = OrderedDict()

    def on_command(self, implementation: Implementation, topic: str, payload: bytes) -> None:
        """A command arrived (network thread): check who sent it, then queue it."""
        cmd = topic.rsplit("/", 1)[1]
        try:
            message = json.loads(payload)
            if not isinstance(message, dict):
                raise ValueError("a command message is a JSON object")
            call_id, origin = message["id"], message["origin"]
            if not (isinstance(call_id, str) and isinstance(origin, str) and topic_level(origin)):
                raise ValueError("'id' and 'origin' must be strings, 'origin' a module id")
        except (ValueError, KeyError, TypeError) as exc:
            self._log.error("rejected command %s.%s: %s", implementation.id, cmd, why(exc))
            return
        self._post(self.execute, implementation, cmd, message)

    def execute(self, implementation: Implementation, cmd: str, message: dict[str, Any]) -> None:
        """Run one command on the module's thread and answer it.

        A handler that raises is answered with HandlerException, and the exception goes on to
        the host, which restarts the module: its state may be broken.
        """
        call_id, origin = message["id"], message["origin"]
        where = f"{implementation.id}.{cmd} from {origin}"
        reply = self._topics.response(self._module_id, implementation.id, cmd, origin)
        if call_id in self._answered:
            self._log.warning("ignored a second copy of command %s", where)
            self._connection.publish(reply, self._answered[call_id])
            return
        deadline = message.get("deadline")
        if isinstance(deadline, (int, float)) and time.monotonic() > deadline:
            self._log.warning("dropped command %s: it arrived after its caller's timeout", where)
            self._answer(reply, call_id, error=(CMD_TIMEOUT, "arrived after the deadline"))
            return
        interface = implementation.interface
        args = message.get("args", {})
        problems = check_call(self._definitions, interface, cmd, args)
        if problems:
            self._log.error("rejected command %s: %s", where, "; ".join(problems))
            self._answer(reply, call_id, error=(SCHEMA_VALIDATION_ERROR, "; ".join(problems)))
            return
        try:
            result = getattr(implementation, cmd)(**args)
        except Exception as exc:
            self._answer(reply, call_id, error=(HANDLER_EXCEPTION, f"{type(exc).__name__}: {exc}"))
            raise
        problems = self._definitions.check(result, interface.cmds[cmd].result, f"{cmd} result")
        if problems:
            self._log.error("command %s returned a bad result: %s", where, "; ".join(problems))
            self._answer(reply, call_id, error=(SCHEMA_VALIDATION_ERROR, "; ".join(problems)))
            return
        self._answer(reply, call_id, result=result)

    def _answer(self, topic: str, call_id: str, result: Any = None,
                error: tuple[str, str] | None = None) -> None:
        body: dict[str, Any] = {"id": call_id}
        if error is None:
            body["retval"] = result
        else:
            body["error"] = {"type": error[0], "message": error[1]}
        payload = json.dumps(body).encode()
        self._answered[call_id] = payload
        while len(self._answered) > ANSWERS_REMEMBERED:
            self._answered.popitem(last=False)
        self._connection.publish(topic, payload)


def check_implementations_of_class(module_class: type[Module], config: ModuleConfig,
                                   definitions: Definitions) -> None:
    """Refuse a module whose implementation classes lack a command of their interface."""
    for impl_id, provision in config.manifest.provides.items():
        implementation = module_class.implementations.get(impl_id, Implementation)
        interface: Interface | None = definitions.interfaces.get(provision.interface)
        if interface is None:
            raise UserError(f"{config.manifest.path}: provides.{impl_id}: unknown interface "
                            f"'{provision.interface}'")
        missing = [cmd for cmd in interface.cmds
                   if not callable(getattr(implementation, cmd, None))]
        if missing:
            raise UserError(f"module {config.name}: {impl_id} ({interface.name}) does not "
                            f"implement: {', '.join(missing)}")
