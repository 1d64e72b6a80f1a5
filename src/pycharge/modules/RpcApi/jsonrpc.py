"""JSON-RPC 2.0 framing: reading requests from clients, writing answers and notifications.

Everything a client sends is checked here; what is wrong becomes a JSON-RPC error object
(https://www.jsonrpc.org/specification §5.1), never an exception further up.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


class RpcError(Exception):
    """A request that cannot be answered with a result."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Request:
    method: str
    params: dict[str, Any]
    id: Any  # None for a notification (nothing is answered)
    has_id: bool


def read(text: str | bytes) -> Request:
    """One request, or :class:`RpcError` (with the id, if one could be read, in ``id_of``)."""
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise RpcError(PARSE_ERROR, "Parse error: not JSON") from None
    if isinstance(message, list):
        raise RpcError(INVALID_REQUEST, "Invalid Request: batches are not supported")
    if not isinstance(message, dict):
        raise RpcError(INVALID_REQUEST, "Invalid Request: expected a JSON object")
    if message.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, "Invalid Request: 'jsonrpc' must be \"2.0\"")
    method = message.get("method")
    if not isinstance(method, str):
        raise RpcError(INVALID_REQUEST, "Invalid Request: 'method' must be a string")
    call_id = message.get("id")
    if call_id is not None and (isinstance(call_id, bool)
                                or not isinstance(call_id, (str, int, float))):
        raise RpcError(INVALID_REQUEST, "Invalid Request: 'id' must be a string or a number")
    params = message.get("params", {})
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: 'params' must be an object of names")
    return Request(method, params, call_id, "id" in message)


def id_of(text: str | bytes) -> Any:
    """The id of a request that could not be read, if it has a usable one (else null)."""
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    call_id = message.get("id") if isinstance(message, dict) else None
    return call_id if isinstance(call_id, (str, int, float)) and not isinstance(call_id, bool) \
        else None


def result(call_id: Any, value: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "result": value, "id": call_id})


def error(call_id: Any, code: int, message: str) -> str:
    return json.dumps({"jsonrpc": "2.0", "error": {"code": code, "message": message},
                       "id": call_id})


def notification(method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": params})


# -- params ----------------------------------------------------------------------------------------
def integer(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RpcError(INVALID_PARAMS, f"Invalid params: '{name}' must be an integer")
    return value


def boolean(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if not isinstance(value, bool):
        raise RpcError(INVALID_PARAMS, f"Invalid params: '{name}' must be true or false")
    return value


def number(params: dict[str, Any], name: str) -> float:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RpcError(INVALID_PARAMS, f"Invalid params: '{name}' must be a number")
    return float(value)
