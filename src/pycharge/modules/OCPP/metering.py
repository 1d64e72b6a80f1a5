"""MeterValues: sampled during a transaction, clock-aligned, and the StopTransaction's data.

Sampled values (``MeterValuesSampledData``) go every ``MeterValueSampleInterval`` seconds from
the start of each transaction; clock-aligned ones (``MeterValuesAlignedData``) at every
multiple of ``ClockAlignedDataInterval`` seconds of the wall clock (OCPP 1.6 §3.16.1), for
every connector, in a transaction or not. Each is one timer, armed only while it is needed:
with both intervals 0, or no transaction and no alignment, nothing wakes the module up. The
measurands named in ``StopTxnSampledData`` and ``StopTxnAlignedData`` are kept per
transaction at the same moments and go into StopTransaction's ``transactionData``.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from pycharge.modules.OCPP.transactions import Connector
from pycharge.runtime.timers import Timer

# measurand: (Powermeter field, unit, phase suffix); totals are reported, else each phase
MEASURANDS: dict[str, tuple[str, str, str]] = {
    "Energy.Active.Import.Register": ("energy_Wh_import", "Wh", ""),
    "Power.Active.Import": ("power_W", "W", ""),
    "Current.Import": ("current_A", "A", ""),
    "Voltage": ("voltage_V", "V", "-N"),
}
PHASES = ("L1", "L2", "L3")


def stamp(moment: float) -> str:
    """An epoch second as OCPP's dateTime (UTC, whole seconds)."""
    return datetime.datetime.fromtimestamp(round(moment), datetime.timezone.utc).isoformat(
    ).replace("+00:00", "Z")


def _text(value: float, unit: str) -> str:
    return str(int(value)) if unit == "Wh" else f"{value:.3f}".rstrip("0").rstrip(".")


def sampled_values(meter: dict[str, Any], measurands: str, context: str) -> list[dict[str, Any]]:
    """The SampledValues of ``measurands`` (a comma-separated list) in a Powermeter reading."""
    values = []
    for name in filter(None, (m.strip() for m in measurands.split(","))):
        field, unit, suffix = MEASURANDS[name]
        reading = meter.get(field) or {}
        entry = {"measurand": name, "unit": unit, "context": context}
        if reading.get("total") is not None:
            values.append({"value": _text(reading["total"], unit), **entry})
        else:
            values += [{"value": _text(reading[p], unit), "phase": p + suffix, **entry}
                       for p in PHASES if reading.get(p) is not None]
    return values


def meter_value(meter: dict[str, Any], measurands: str, context: str,
                moment: float | None = None) -> dict[str, Any] | None:
    """One MeterValue (None if the reading has none of ``measurands``)."""
    sampled = sampled_values(meter, measurands, context) if meter else []
    if not sampled:
        return None
    return {"timestamp": stamp(time.time() if moment is None else moment),
            "sampled_value": sampled}


def next_multiple(now: float, interval: int, after: float) -> float:
    """The first multiple of ``interval`` later than ``now`` and than ``after``."""
    target = (math.floor(now / interval) + 1) * interval
    return target if target > after else after + interval


class Station(Protocol):
    """What the metering needs of the module (module.py)."""

    connectors: list[Connector]

    def setting(self, name: str) -> Any: ...
    def call_later(self, delay: float, callback: Callable[..., None], *args: Any) -> Timer: ...
    def every(self, period: float, callback: Callable[..., None], *args: Any) -> Timer: ...
    def report(self, connector: Connector, value: dict[str, Any]) -> None: ...


class Metering:
    """The module's meter timers and the transactionData they collect; on its thread."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self._aligned: Timer | None = None
        self._aligned_at = 0.0  # the multiple the aligned timer is set for
        self._samplers: dict[int, Timer] = {}

    def start(self) -> None:
        self._arm_aligned()

    def changed(self, key: str) -> None:
        """A ChangeConfiguration of ``key`` was accepted: new intervals apply from now."""
        if key == "ClockAlignedDataInterval":
            self._arm_aligned()
        elif key == "MeterValueSampleInterval":
            for connector in self.station.connectors:
                if connector.id in self._samplers:
                    self._arm_sampler(connector)

    # -- transactions ---------------------------------------------------------------------------
    def transaction_started(self, connector: Connector, meter: dict[str, Any]) -> None:
        connector.transaction_data = []
        self._keep(connector, "StopTxnSampledData", "Transaction.Begin", meter)
        self._arm_sampler(connector)

    def transaction_finished(self, connector: Connector, meter: dict[str, Any]
                             ) -> list[dict[str, Any]]:
        """The transactionData of the StopTransaction (empty if nothing was asked for)."""
        if (timer := self._samplers.pop(connector.id, None)) is not None:
            timer.cancel()
        self._keep(connector, "StopTxnSampledData", "Transaction.End", meter)
        data, connector.transaction_data = connector.transaction_data, []
        return data

    def _keep(self, connector: Connector, key: str, context: str, meter: dict[str, Any],
              moment: float | None = None) -> None:
        if (value := meter_value(meter, self.station.setting(key) or "", context,
                                 moment)) is not None:
            connector.transaction_data.append(value)

    # -- sampled --------------------------------------------------------------------------------
    def _arm_sampler(self, connector: Connector) -> None:
        if (timer := self._samplers.pop(connector.id, None)) is not None:
            timer.cancel()
        interval = self.station.setting("MeterValueSampleInterval")
        if interval > 0:
            self._samplers[connector.id] = self.station.every(interval, self._sample, connector)

    def _sample(self, connector: Connector) -> None:
        if connector.local_tx is None:
            return
        value = meter_value(connector.meter, self.station.setting("MeterValuesSampledData"),
                            "Sample.Periodic")
        if value is not None:
            self.station.report(connector, value)
        self._keep(connector, "StopTxnSampledData", "Sample.Periodic", connector.meter)

    # -- clock-aligned --------------------------------------------------------------------------
    def _arm_aligned(self) -> None:
        if self._aligned is not None:
            self._aligned.cancel()
            self._aligned = None
        interval = self.station.setting("ClockAlignedDataInterval")
        if interval > 0:
            now = time.time()
            self._aligned_at = next_multiple(now, interval, self._aligned_at)
            self._aligned = self.station.call_later(self._aligned_at - now, self._on_aligned)

    def _on_aligned(self) -> None:
        moment = self._aligned_at
        for connector in self.station.connectors:
            value = meter_value(connector.meter, self.station.setting("MeterValuesAlignedData"),
                                "Sample.Clock", moment)
            if value is not None:
                self.station.report(connector, value)
            if connector.local_tx is not None:
                self._keep(connector, "StopTxnAlignedData", "Sample.Clock", connector.meter,
                           moment)
        self._arm_aligned()
