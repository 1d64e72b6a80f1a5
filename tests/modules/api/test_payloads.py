"""The API's reading of command payloads, its session state mapping and its rounding."""

from __future__ import annotations

import pytest

from pycharge.modules.API import commands
from pycharge.modules.API.commands import RejectedError
from pycharge.modules.API.rounding import Rounding
from pycharge.modules.API.session_info import SessionInfo, state_after
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog


def test_enable_disable_defaults_and_spelling() -> None:
    assert commands.enable_disable(b'{"connector_id": 1, "source": "csms", "state": "disable", '
                                   b'"priority": 42}') == (1, {"enable_source": "CSMS",
                                                              "enable_state": "Disable",
                                                              "enable_priority": 42})
    assert commands.enable_disable(b"{}") == (0, {"enable_source": "LocalAPI",
                                                  "enable_state": "Enable", "enable_priority": 100})


@pytest.mark.parametrize(("payload", "reason"), [
    (b"", "no argument given"),
    (b"1", "expected a JSON object"),
    (b"{not json", "the payload is not JSON"),
    (b'{"state": "Maybe"}', "'state' must be one of Unassigned, Disable, Enable"),
    (b'{"source": 3}', "'source' must be one of"),
    (b'{"priority": 10001}', "'priority' must be an integer from 0 to 10000"),
    (b'{"connector_id": true}', "'connector_id' must be an integer"),
    (b'{"connector_id": -1}', "'connector_id' must be an integer"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_enable_disable_rejects_what_it_cannot_read(payload: bytes, reason: str) -> None:
    with pytest.raises(RejectedError, match=reason):
        commands.enable_disable(payload)


def test_legacy_enable_and_disable_take_a_connector_id() -> None:
    assert commands.legacy_enable_disable(b" 1 ", "Disable") == (1, {
        "enable_source": "LocalAPI", "enable_state": "Disable", "enable_priority": 100})
    for bad in (b"", b"one", b"1.5", b"-1"):
        with pytest.raises(RejectedError):
            commands.legacy_enable_disable(bad, "Enable")


def test_force_unlock_defaults_to_connector_1() -> None:
    assert commands.force_unlock_connector(b"") == 1
    assert commands.force_unlock_connector(b"2") == 2
    with pytest.raises(RejectedError):
        commands.force_unlock_connector(b"0")


@pytest.mark.parametrize(("payload", "value"), [(b"16", 16.0), (b"-7.5", -7.5), (b"1e3", 1000.0),
                                                (b" 0 ", 0.0)])
def test_numbers(payload: bytes, value: float) -> None:
    assert commands.number(payload) == value


@pytest.mark.parametrize("payload", [b"", b"16A", b"nan", b"inf", b"1_000", b"1e999", b"[16]"])
def test_not_numbers(payload: bytes) -> None:
    with pytest.raises(RejectedError):
        commands.number(payload)


def test_amps_and_phases() -> None:
    assert commands.amps_phases(b'{"amps": 8, "phases": 1}') == (8.0, 1)
    for bad in (b'{"amps": 8, "phases": 2}', b'{"amps": "8", "phases": 3}', b'{"phases": 3}',
                b'{"amps": 8, "phases": true}'):
        with pytest.raises(RejectedError):
            commands.amps_phases(bad)


def test_limits_have_everests_shape_and_match_the_energy_types() -> None:
    definitions = Definitions.load()
    schema = {"$ref": "/energy#/ExternalLimits"}
    imported = commands.external_limits(16, "ac_max_current_A", "2026-03-01T12:00:00.000Z")
    assert imported["schedule_import"][0]["limits_to_leaves"] == {
        "ac_max_current_A": {"value": 16, "source": "API_module"}}
    assert imported["schedule_export"][0]["limits_to_leaves"]["ac_max_current_A"]["value"] == 0
    exported = commands.external_limits(-4000, "total_power_W", "2026-03-01T12:00:00.000Z")
    assert exported["schedule_import"][0]["limits_to_leaves"]["total_power_W"]["value"] == 0
    assert exported["schedule_export"][0]["limits_to_leaves"]["total_power_W"]["value"] == 4000
    phased = commands.external_limits_with_phases(10, 1, "2026-03-01T12:00:00.000Z")
    assert phased["schedule_import"][0]["limits_to_leaves"]["ac_max_phase_count"]["value"] == 1
    assert phased["schedule_export"] == []
    for limits in (imported, exported, phased,
                   commands.external_limits_with_phases(-10, 3, "2026-03-01T12:00:00.000Z")):
        assert definitions.check(limits, schema, "limits") == []


@pytest.mark.parametrize(("event", "state"), [
    ("Enabled", "Unplugged"), ("Disabled", "Disabled"), ("AuthRequired", "AuthRequired"),
    ("SessionStarted", "Preparing"), ("TransactionStarted", "Preparing"),
    ("PrepareCharging", "Preparing"), ("ChargingStarted", "Charging"),
    ("ChargingPausedEV", "ChargingPausedEV"), ("ChargingPausedEVSE", "ChargingPausedEVSE"),
    ("ChargingFinished", "Finished"), ("StoppingCharging", "FinishedEV"),
    ("PluginTimeout", "AuthTimeout"), ("ReservationStart", "Reserved"),
    ("ReservationEnd", "Unplugged"), ("SessionFinished", "Unplugged"),
    ("Authorized", "Before"), ("Deauthorized", "Before"), ("SwitchingPhases", "Before"),
    ("SessionResumed", "Before"),
])
def test_state_mapping(event: str, state: str) -> None:
    assert state_after({"event": event}, "Before") == state


@pytest.mark.parametrize(("reason", "state"), [("Local", "FinishedEVSE"), ("EVDisconnected", "Finished"),
                                               (None, "Finished")])
def test_transaction_finished_depends_on_the_reason(reason: str | None, state: str) -> None:
    finished = {"meter_value": {"timestamp": "", "energy_Wh_import": {"total": 1.0}}}
    if reason:
        finished["reason"] = reason
    assert state_after({"event": "TransactionFinished", "transaction_finished": finished},
                       "Charging") == state


def meter(wh: float, export: float | None = None, watts: float | None = None) -> dict:
    value: dict = {"timestamp": "2026-03-01T12:00:00Z", "energy_Wh_import": {"total": wh}}
    if export is not None:
        value["energy_Wh_export"] = {"total": export}
    if watts is not None:
        value["power_W"] = {"total": watts}
    return value


def test_session_energy_and_duration_follow_the_transaction() -> None:
    now = [100.0]
    info = SessionInfo(lambda: now[0])
    info.on_event({"event": "TransactionStarted",
                   "transaction_started": {"meter_value": meter(1000.7, 50), "id_tag": {}}})
    info.on_event({"event": "ChargingStarted"})
    now[0] = 160.4
    info.on_meter(meter(1500.2, 55, watts=11000.0))
    snapshot = info.to_json()
    assert (snapshot["state"], snapshot["charged_energy_wh"], snapshot["discharged_energy_wh"],
            snapshot["charging_duration_s"], snapshot["latest_total_w"]) == (
        "Charging", 500, 5, 60, 11000.0)
    info.on_event({"event": "TransactionFinished",
                   "transaction_finished": {"meter_value": meter(1600), "reason": "Local"}})
    now[0] = 500.0
    info.on_meter(meter(9999))  # after the transaction: no longer counted
    snapshot = info.to_json()
    assert (snapshot["state"], snapshot["charged_energy_wh"], snapshot["discharged_energy_wh"],
            snapshot["charging_duration_s"]) == ("FinishedEVSE", 600, 0, 60)


def test_enable_disable_source_follows_the_events() -> None:
    info = SessionInfo(lambda: 0.0)
    assert info.to_json()["active_enable_disable_source"] == {
        "source": "Unspecified", "state": "Enabled", "priority": 0}
    info.on_event({"event": "Disabled", "source": {"enable_source": "LocalAPI",
                                                   "enable_state": "Disable", "enable_priority": 42}})
    assert info.to_json()["active_enable_disable_source"] == {
        "source": "LocalAPI", "state": "Disable", "priority": 42}


def test_rounding_uses_each_fields_own_setting() -> None:
    config = dict(ModuleCatalog().manifest("API").config)
    values = {key: spec["default"] for key, spec in config.items()}
    values.update(powermeter_power_decimal_places=0, powermeter_energy_import_round_to=0.5,
                  telemetry_fan_rpm_round_to=100)
    rounding = Rounding(values)
    assert rounding.apply("powermeter", {"timestamp": "t", "meter_id": "m",
                                         "energy_Wh_import": {"total": 10.26, "L1": 3.7},
                                         "power_W": {"total": 3601.6}}) == {
        "timestamp": "t", "meter_id": "m", "energy_Wh_import": {"total": 10.5, "L1": 3.5},
        "power_W": {"total": 3602.0}}
    assert rounding.apply("telemetry", {"fan_rpm": 1234.0, "evse_temperature_C": 30.729248,
                                        "relais_on": True}) == {
        "fan_rpm": 1200.0, "evse_temperature_C": 30.73, "relais_on": True}
    assert rounding.apply("limits", {"uuid": "evse", "max_current": 15.999999,
                                     "nr_of_phases_available": 3})["max_current"] == 16.0
