"""Reading the payloads of the ``everest_api/<evse>/cmd/...`` topics.

Payloads come from anyone on the broker. Each reader returns what the command needs or raises
:class:`RejectedError` saying what is wrong; the API logs that and does nothing else.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

SOURCE = "API_module"  # EVerest's source name for limits set through this API
ENABLE_SOURCES = ("Unspecified", "LocalAPI", "LocalKeyLock", "ServiceTechnician", "RemoteKeyLock",
                  "MobileApp", "FirmwareUpdate", "CSMS")
ENABLE_STATES = ("Unassigned", "Disable", "Enable")
LEGACY_PRIORITY = 100
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


class RejectedError(ValueError):
    """A payload that does not say what to do."""


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise RejectedError("the payload is not UTF-8 text") from None


def integer(payload: bytes, minimum: int) -> int:
    """A plain integer such as ``1`` (a connector id)."""
    text = _text(payload)
    if not _INTEGER.fullmatch(text):
        raise RejectedError(f"expected an integer, got {text[:40]!r}")
    value = int(text)
    if value < minimum:
        raise RejectedError(f"{value} is below {minimum}")
    return value


def number(payload: bytes) -> float:
    """A finite decimal number such as ``16`` or ``-7.5``."""
    text = _text(payload)
    if not _NUMBER.fullmatch(text):
        raise RejectedError(f"expected a number, got {text[:40]!r}")
    value = float(text)
    if not math.isfinite(value):
        raise RejectedError(f"{text[:40]!r} is out of range")
    return value


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(_text(payload))
    except ValueError:
        raise RejectedError("the payload is not JSON") from None
    if not isinstance(value, dict):
        raise RejectedError("expected a JSON object")
    return value


def _int_field(data: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RejectedError(f"'{name}' must be an integer from {low} to {high}")
    return value


def _choice(data: dict[str, Any], name: str, default: str, choices: tuple[str, ...]) -> str:
    """An enum value; case does not matter (EVerest's README writes "enable", its code "Enable")."""
    value = data.get(name, default)
    for choice in choices:
        if isinstance(value, str) and value.lower() == choice.lower():
            return choice
    raise RejectedError(f"'{name}' must be one of {', '.join(choices)}")


def enable_disable(payload: bytes) -> tuple[int, dict[str, Any]]:
    """``{"connector_id", "source", "state", "priority"}``, each optional, as
    (connector_id, cmd_source); the defaults are connector 0, LocalAPI, Enable, priority 100."""
    if not _text(payload):
        raise RejectedError("no argument given")
    data = _json_object(payload)
    return _int_field(data, "connector_id", 0, 0, 128), {
        "enable_source": _choice(data, "source", "LocalAPI", ENABLE_SOURCES),
        "enable_state": _choice(data, "state", "Enable", ENABLE_STATES),
        "enable_priority": _int_field(data, "priority", LEGACY_PRIORITY, 0, 10000)}


def legacy_enable_disable(payload: bytes, state: str) -> tuple[int, dict[str, Any]]:
    """``cmd/enable`` and ``cmd/disable``: a connector id (0: the whole EVSE)."""
    return integer(payload, 0), {"enable_source": "LocalAPI", "enable_state": state,
                                 "enable_priority": LEGACY_PRIORITY}


RANDOM_DELAY_COMMANDS = ("enable", "disable", "cancel")


def random_delay_command(payload: bytes) -> str:
    """``cmd/uk_random_delay``: enable, disable or cancel (any case)."""
    text = _text(payload)
    for command in RANDOM_DELAY_COMMANDS:
        if text.lower() == command:
            return command
    raise RejectedError(f"expected one of {', '.join(RANDOM_DELAY_COMMANDS)}, got {text[:40]!r}")


def force_unlock_connector(payload: bytes) -> int:
    """The connector to unlock; 1 when the payload is empty."""
    return integer(payload, 1) if _text(payload) else 1


def amps_phases(payload: bytes) -> tuple[float, int]:
    """``{"amps": <number>, "phases": 1 | 3}``."""
    data = _json_object(payload)
    amps, phases = data.get("amps"), data.get("phases")
    if isinstance(amps, bool) or not isinstance(amps, (int, float)) or not math.isfinite(amps):
        raise RejectedError("'amps' must be a number")
    if phases not in (1, 3) or isinstance(phases, bool):
        raise RejectedError("'phases' must be 1 or 3")
    return float(amps), phases


def _step(timestamp: str, leaves: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": timestamp, "limits_to_root": {}, "limits_to_leaves": leaves}


def external_limits(limit: float, key: str, timestamp: str) -> dict[str, Any]:
    """``energy#/ExternalLimits`` for a current (``ac_max_current_A``) or power
    (``total_power_W``) limit: positive limits import, negative ones export (and stop import)."""
    target = _step(timestamp, {key: {"value": abs(limit), "source": SOURCE}})
    zero = _step(timestamp, {key: {"value": 0.0, "source": SOURCE}})
    if limit > 0:
        return {"schedule_import": [target], "schedule_export": [zero], "schedule_setpoints": []}
    return {"schedule_import": [zero], "schedule_export": [target], "schedule_setpoints": []}


def external_limits_with_phases(amps: float, phases: int, timestamp: str) -> dict[str, Any]:
    """``energy#/ExternalLimits`` for a current limit on a given number of phases."""
    count = {"value": phases, "source": SOURCE}
    target = _step(timestamp, {"ac_max_phase_count": count, "ac_min_phase_count": dict(count),
                               "ac_max_current_A": {"value": abs(amps), "source": SOURCE}})
    if amps > 0:
        return {"schedule_import": [target], "schedule_export": [], "schedule_setpoints": []}
    zero = _step(timestamp, {"ac_max_current_A": {"value": 0.0, "source": SOURCE}})
    return {"schedule_import": [zero], "schedule_export": [target], "schedule_setpoints": []}
