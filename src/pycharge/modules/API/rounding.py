"""Rounding of the values the API publishes, per the ``*_decimal_places``/``*_round_to`` config.

Each rounded field first snaps to the nearest multiple of its ``round_to`` step (if not 0), then
keeps at most ``decimal_places`` decimals. For grouped fields (the meter's ``energy_Wh_import``
with ``total``, ``L1`` ...) every number in the group is rounded. Fields not listed pass unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# For each published value: field -> the config prefix that rounds it.
FIELDS: dict[str, dict[str, str]] = {
    "powermeter": {"energy_Wh_import": "powermeter_energy_import",
                   "energy_Wh_export": "powermeter_energy_export",
                   "power_W": "powermeter_power", "voltage_V": "powermeter_voltage",
                   "VAR": "powermeter_VAR", "current_A": "powermeter_current",
                   "frequency_Hz": "powermeter_frequency"},
    "hardware_capabilities": {"max_current_A_import": "hw_caps_max_current_import",
                              "min_current_A_import": "hw_caps_min_current_import",
                              "max_current_A_export": "hw_caps_max_current_export",
                              "min_current_A_export": "hw_caps_min_current_export",
                              "max_plug_temperature_C": "hw_caps_max_plug_temperature_C"},
    "limits": {"max_current": "limits_max_current"},
    "telemetry": {"evse_temperature_C": "telemetry_evse_temperature_C",
                  "fan_rpm": "telemetry_fan_rpm",
                  "supply_voltage_12V": "telemetry_supply_voltage_12V",
                  "supply_voltage_minus_12V": "telemetry_supply_voltage_minus_12V",
                  "plug_temperature_C": "telemetry_plug_temperature_C"},
}


def round_value(value: float, step: float, places: int) -> float:
    if step > 0:
        value = round(value / step) * step
    return round(value, places)


class Rounding:
    """Applies the module config's rounding to published values."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config

    def apply(self, kind: str, value: dict[str, Any]) -> dict[str, Any]:
        result = dict(value)
        for name, prefix in FIELDS[kind].items():
            if name in result:
                result[name] = self._round(result[name], prefix)
        return result

    def _round(self, item: Any, prefix: str) -> Any:
        if isinstance(item, dict):
            return {key: self._round(member, prefix) for key, member in item.items()}
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            return round_value(item, self._config[f"{prefix}_round_to"],
                               self._config[f"{prefix}_decimal_places"])
        return item
