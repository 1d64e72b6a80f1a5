"""Telemetry and enforced limits turned into the shapes EVerest's API module publishes."""

from __future__ import annotations

import pytest

from pycharge.modules.API.everest_payloads import charging_schedule, everest_telemetry


def test_telemetry_takes_everests_api_names() -> None:
    assert everest_telemetry({"relais_on": True, "evse_temperature_C": 30.7, "fan_rpm": 0.0,
                              "supply_voltage_12V": 12.0, "supply_voltage_minus_12V": -11.9,
                              "plug_temperature_C": 25.0}) == {
        "phase_seq_error": True, "temperature": 30.7, "fan_rpm": 0.0, "supply_voltage_12V": 12.0,
        "supply_voltage_minus_12V": -11.9, "plug_temperature_C": 25.0}
    assert everest_telemetry({"relais_on": False}) == {"phase_seq_error": False}


def _step(timestamp: str, **limits: float) -> dict:
    return {"timestamp": timestamp,
            "limits_to_root": {name: {"value": value, "source": "test"}
                               for name, value in limits.items()}}


def test_schedule_in_amps_with_phases_and_offsets() -> None:
    enforced = {"uuid": "evse", "valid_for": 10, "limits_root_side": {}, "schedule": [
        _step("2026-12-07T10:00:00.000Z", ac_max_current_A=16.0, ac_max_phase_count=1),
        _step("2026-12-07T11:30:00.500+01:00", ac_max_current_A=10.0)]}
    assert charging_schedule(2, enforced) == {
        "evse": 2, "charging_rate_unit": "A", "start_schedule": "2026-12-07T10:00:00.000Z",
        "charging_schedule_period": [{"start_period": 0, "limit": 16.0, "number_phases": 1},
                                     {"start_period": 1800, "limit": 10.0}]}


def test_schedule_in_watts_when_a_step_has_no_current() -> None:
    enforced = {"uuid": "evse", "valid_for": 10, "limits_root_side": {}, "schedule": [
        _step("2026-12-07T10:00:00Z", ac_max_current_A=16.0, total_power_W=11000.0),
        _step("2026-12-07T10:00:10Z", total_power_W=4000.0), _step("2026-12-07T10:00:20Z")]}
    schedule = charging_schedule(1, enforced)
    assert schedule["charging_rate_unit"] == "W"
    assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 11000.0},
                                                    {"start_period": 10, "limit": 4000.0}]


def test_empty_schedule_has_no_periods_and_a_bad_time_is_refused() -> None:
    empty = {"uuid": "evse", "valid_for": 10, "limits_root_side": {}, "schedule": []}
    assert charging_schedule(1, empty) == {"evse": 1, "charging_rate_unit": "A",
                                           "charging_schedule_period": []}
    with pytest.raises(ValueError):
        charging_schedule(1, {**empty, "schedule": [_step("yesterday", ac_max_current_A=6.0)]})
