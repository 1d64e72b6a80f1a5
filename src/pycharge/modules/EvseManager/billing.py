"""Transactions on the billing meter (signed metering), without blocking the charger.

The billing meter is the car-side meter if there is one, else the grid-side meter. Starting
and stopping a transaction on it is a command that may take a while; the charger asks and
looks again on its next pass. Without a meter every request is answered at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# IdTokenType -> OCMF identification type (EVerest's utils.hpp)
OCMF_TYPE = {"Central": "CENTRAL", "eMAID": "EMAID", "ISO14443": "ISO14443",
             "ISO15693": "ISO15693", "KeyCode": "KEY_CODE", "Local": "LOCAL",
             "NoAuthorization": "NONE", "MacAddress": "UNDEFINED"}


@dataclass
class MeterCall:
    """A start or stop request to the meter: ``done`` once answered, ``result`` its answer.

    ``result`` is None without a meter or if the call failed (``error`` says why).
    """

    done: bool = False
    result: dict[str, Any] | None = None
    error: str = ""

    def finish(self, result: dict[str, Any] | None, error: str = "") -> None:
        self.result, self.error, self.done = result, error, True

    @property
    def failed(self) -> bool:
        """The meter could not do it (UNEXPECTED_ERROR or no answer); NOT_SUPPORTED is fine."""
        if self.result is None:
            return bool(self.error)
        return self.result.get("status") == "UNEXPECTED_ERROR"

    def signed_values(self) -> dict[str, Any]:
        """The signed meter values of a successful stop, named as in TransactionFinished."""
        if self.result is None or self.result.get("status") != "OK":
            return {}
        return {k: self.result[k] for k in ("start_signed_meter_value", "signed_meter_value")
                if k in self.result}


def answered(result: dict[str, Any] | None = None) -> MeterCall:
    """A call that is already answered (no meter connected)."""
    call = MeterCall()
    call.finish(result)
    return call


def transaction_request(evse_id: str, transaction_id: str, id_tag: dict[str, Any],
                        validation_result: dict[str, Any]) -> dict[str, Any]:
    """The ``TransactionReq`` for the meter's signed record."""
    id_token = id_tag["id_token"]
    request: dict[str, Any] = {
        "evse_id": evse_id,
        "transaction_id": transaction_id,
        "identification_status": "ASSIGNED",
        "identification_flags": [],
        "identification_type": OCMF_TYPE.get(id_token["type"], "UNDEFINED"),
        "identification_data": id_token["value"],
    }
    messages = validation_result.get("tariff_messages") or []
    if messages and isinstance(messages[0], dict) and "content" in messages[0]:
        request["tariff_text"] = str(messages[0]["content"])[:250]
    return request
