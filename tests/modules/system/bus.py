"""Talking to the CbSystem module the way any other module does: over MQTT."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pycharge.runtime.topics import Topics
from tests.support.probe import Probe

FIRMWARE_ENDS = {"DownloadFailed", "InvalidSignature", "InstallationFailed",
                 "InstallVerificationFailed", "InstallRebooting", "Installed"}
LOG_ENDS = {"Uploaded", "UploadFailure", "PermissionDenied", "BadMessage",
            "NotSupportedOperation", "AcceptedCanceled"}


class CommandError(Exception):
    pass


class SystemBus:
    """Commands to and variables of ``<module_id>.main`` (interface system), via a probe;
    with ``impl``, the commands of another implementation (any interface)."""

    def __init__(self, probe: Probe, prefix: str, module_id: str = "system",
                 impl: str = "main") -> None:
        self.probe = probe
        self.topics = Topics(prefix)
        self.module_id, self.impl = module_id, impl
        self._subscribed: set[str] = set()
        self._first = len(probe.messages)  # what an earlier run of the module said is not ours
        probe.subscribe(self.topics.impl(module_id, "main") + "/var/#")

    def call(self, cmd: str, timeout: float = 10.0, **args: Any) -> Any:
        reply = self.topics.response(self.module_id, self.impl, cmd, "probe")
        if reply not in self._subscribed:
            self.probe.subscribe(reply)
            self._subscribed.add(reply)
        call_id = uuid.uuid4().hex
        self.probe.publish(self.topics.cmd(self.module_id, self.impl, cmd),
                           {"id": call_id, "origin": "probe", "args": args})
        answer = self.probe.wait_for(lambda messages: next(
            (json.loads(p) for t, p in messages
             if t == reply and json.loads(p).get("id") == call_id), None), timeout)
        if "error" in answer:
            raise CommandError(answer["error"])
        return answer["retval"]

    def statuses(self, var: str, request_id: int) -> list[str]:
        """Every value of ``var`` (firmware_update_status or log_status) for ``request_id``."""
        field = "firmware_update_status" if var == "firmware_update_status" else "log_status"
        topic = self.topics.var(self.module_id, "main", var)
        payloads = [json.loads(p) for t, p in list(self.probe.messages)[self._first:]
                    if t == topic]
        return [p["data"][field] for p in payloads if p["data"]["request_id"] == request_id]

    def wait_end(self, request_id: int, var: str = "firmware_update_status",
                 timeout: float = 20.0) -> list[str]:
        """Wait for an end state of ``request_id``; return every step seen for it."""
        ends = FIRMWARE_ENDS if var == "firmware_update_status" else LOG_ENDS
        self.probe.wait_for(lambda _m: ends & set(self.statuses(var, request_id)), timeout)
        return self.statuses(var, request_id)

    def wait_for_status(self, request_id: int, status: str, timeout: float = 20.0,
                        var: str = "firmware_update_status") -> list[str]:
        self.probe.wait_for(lambda _m: status in self.statuses(var, request_id), timeout)
        return self.statuses(var, request_id)
