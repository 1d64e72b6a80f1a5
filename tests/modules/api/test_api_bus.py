"""The API module on a real broker, with a fake EvseManager and the real energy tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pycharge.runtime.errors import Error
from tests.conftest import Mosquitto
from tests.modules.api.conftest import DOUBLES, Api, api_config
from tests.support.probe import Probe
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until

METER = {"timestamp": "2026-03-01T12:00:00.000Z", "energy_Wh_import": {"total": 1234.5678}}
CAPABILITIES = {"max_current_A_import": 32.0, "min_current_A_import": 6.0,
                "max_phase_count_import": 3, "min_phase_count_import": 1,
                "max_current_A_export": 0.0, "min_current_A_export": 0.0,
                "max_phase_count_export": 3, "min_phase_count_export": 1,
                "supports_changing_phases_during_charging": False, "supports_cp_state_E": True,
                "connector_type": "IEC62196Type2Socket"}


def state(api: Api, expected: str) -> dict:
    return api.latest("evse/var/session_info", lambda info: info["state"] == expected)


def test_periodic_variables(api: Api) -> None:
    assert api.latest("connectors") == ["evse"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", api.latest("evse/var/datetime"))
    assert api.latest("ocpp/var/connection_status") == "unknown"
    assert api.latest("errors/var/active_errors", lambda errors: errors == []) == []
    info = state(api, "Unknown")
    assert set(info) == {"state", "permanent_fault", "charged_energy_wh", "discharged_energy_wh",
                         "latest_total_w", "charging_duration_s", "datetime",
                         "active_enable_disable_source"}


def test_session_events_drive_the_state(api: Api) -> None:
    api.emit("Enabled", source={"enable_source": "Unspecified", "enable_state": "Enable",
                                "enable_priority": 5000})
    assert state(api, "Unplugged")["active_enable_disable_source"]["priority"] == 5000
    api.emit("SessionStarted", session_started={"reason": "EVConnected", "meter_value": METER,
                                                "logging_path": "/tmp/session"})
    state(api, "Preparing")
    assert api.latest("evse/var/logging_path") == "/tmp/session"
    api.emit("AuthRequired")
    state(api, "AuthRequired")
    api.emit("ChargingStarted")
    state(api, "Charging")
    api.emit("TransactionFinished", transaction_finished={"meter_value": METER, "reason": "Local"})
    state(api, "FinishedEVSE")
    api.emit("SessionFinished", session_finished={"meter_value": METER})
    state(api, "Unplugged")


def test_evse_variables_are_passed_on_rounded_and_capabilities_repeated(api: Api) -> None:
    api.evse.submit(api.evse.publish, "powermeter", METER)
    api.evse.submit(api.evse.publish, "limits", {"uuid": "evse", "max_current": 15.996,
                                                 "nr_of_phases_available": 3})
    assert api.latest("evse/var/powermeter")["energy_Wh_import"] == {"total": 1234.57}
    assert api.latest("evse/var/limits")["max_current"] == 16.0
    api.evse.submit(api.evse.publish, "hw_capabilities", CAPABILITIES)
    topic = api.prefix + "evse/var/hardware_capabilities"
    api.probe.wait_for(lambda _m: len(api.probe.payloads(topic)) > 0)
    seen = len(api.probe.payloads(topic))
    api.probe.wait_for(lambda _m: len(api.probe.payloads(topic)) > seen)  # EVerest's 1 s repeat


def test_commands_reach_the_evse(api: Api) -> None:
    api.command("enable_disable", '{"connector_id": 1, "state": "Disable", "priority": 42}')
    api.command("enable", "1")
    api.command("pause_charging", "")
    api.command("resume_charging", "anything")
    api.command("stop_charging", "")
    api.command("force_unlock", "")
    expected = [
        ("enable_disable", {"connector_id": 1, "cmd_source": {
            "enable_source": "LocalAPI", "enable_state": "Disable", "enable_priority": 42}}),
        ("enable_disable", {"connector_id": 1, "cmd_source": {
            "enable_source": "LocalAPI", "enable_state": "Enable", "enable_priority": 100}}),
        ("pause_charging", {}), ("resume_charging", {}),
        ("stop_transaction", {"request": {"reason": "Local"}}),
        ("stop_transaction", {"request": {"reason": "UnlockCommand"}}),
        ("force_unlock", {"connector_id": 1})]
    wait_until(lambda: len(api.evse.calls) >= len(expected), what="seven calls")
    assert api.evse.calls == expected


def test_malformed_commands_are_logged_and_do_nothing(api: Api,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    api.command("enable_disable", "{broken")
    api.command("disable", "first")
    api.command("set_limit_amps", "lots")
    api.command("force_unlock", "left")
    api.command("pause_charging", "")  # a good one last: once it arrives, the others were read
    wait_until(lambda: api.evse.calls, what="the good command")
    assert api.evse.calls == [("pause_charging", {})]
    for message in ("evse/cmd/enable_disable rejected: the payload is not JSON",
                    "evse/cmd/disable rejected: expected an integer, got 'first'",
                    "evse/cmd/set_limit_amps rejected: expected a number, got 'lots'",
                    "evse/cmd/force_unlock rejected: expected an integer, got 'left'"):
        assert message in caplog.text
    assert api.stack.status()["api"]["restarts"] == 0


def amps_at_evse(api: Api, amps: float) -> None:
    wait_until(lambda: api.evse.enforced and api.evse.enforced[-1]["limits_root_side"][
        "ac_max_current_A"]["value"] == amps, what=f"{amps} A enforced")


def test_limit_commands_go_through_the_energy_tree(api: Api) -> None:
    amps_at_evse(api, 16.0)  # the fuse
    api.command("set_limit_amps", "10")
    amps_at_evse(api, 10.0)
    assert api.evse.enforced[-1]["limits_root_side"]["ac_max_current_A"]["source"] == "API_module"
    api.command("set_limit_watts", "4140")  # 4140 W / (230 V x 3 phases) = 6 A
    amps_at_evse(api, 6.0)
    api.command("set_limit_amps", "-5")  # export only: no import
    amps_at_evse(api, 0.0)
    api.command("set_limit_amps_phases", '{"amps": 12, "phases": 3}')
    amps_at_evse(api, 12.0)


def test_an_inoperative_evse_shows_a_permanent_fault_and_an_active_error(api: Api) -> None:
    evse = api.evse
    evse.submit(evse.impl["evse"].raise_error, "evse_manager/Inoperative", "relay welded")
    api.latest("evse/var/session_info", lambda info: info["permanent_fault"])
    [error] = api.latest("errors/var/active_errors")
    assert (error["type"], error["message"], error["origin"]) == (
        "evse_manager/Inoperative", "relay welded", {"module_id": "evse", "implementation_id": "evse"})
    evse.submit(evse.impl["evse"].clear_error, "evse_manager/Inoperative")
    api.latest("evse/var/session_info", lambda info: not info["permanent_fault"])
    api.latest("errors/var/active_errors", lambda errors: errors == [])


def test_commands_wait_until_the_evse_is_ready(tmp_path: Path, mosquitto: Mosquitto,
                                               probe: Probe) -> None:
    path = write_config(tmp_path, api_config(publish_ready=False))
    with running(path, mosquitto.address, [DOUBLES]) as stack:
        api = Api(stack, probe)
        api.command("pause_charging", "")
        api.latest("connectors")  # the API runs and has had time to read the command
        api.command("resume_charging", "")
        wait_until(lambda: stack.host("api").module._pending, what="commands queued")
        assert api.evse.calls == []
        api.evse.submit(api.evse.publish, "ready", True)
        wait_until(lambda: len(api.evse.calls) == 2, what="queued commands run")
        assert [c for c, _ in api.evse.calls] == ["pause_charging", "resume_charging"]


def test_active_errors_come_from_the_error_history(tmp_path: Path, mosquitto: Mosquitto,
                                                   probe: Probe) -> None:
    path = write_config(tmp_path, api_config(history=tmp_path / "errors.db"))
    with running(path, mosquitto.address, [DOUBLES]) as stack:
        api = Api(stack, probe)
        api.evse.submit(api.evse.impl["evse"].raise_error, "evse_manager/MREC5OverVoltage", "too high")
        [error] = api.latest("errors/var/active_errors", lambda errors: len(errors) == 1)
        assert error["type"] == "evse_manager/MREC5OverVoltage"
        assert stack.host("api").module.seen_errors  # seen directly too, but the history answers
        history = stack.host("history").module
        history.submit(history.store.add, _error_elsewhere())
        api.latest("errors/var/active_errors", lambda errors: len(errors) == 2)


def _error_elsewhere() -> Error:
    """An error of a module the API does not watch: only the error history knows it."""
    return Error("generic/CommunicationFault", message="meter silent",
                 origin={"module_id": "meter", "implementation_id": "powermeter"},
                 timestamp="2026-03-01T12:00:00.000Z", uuid="elsewhere-1")


def test_uk_random_delay_commands_reach_the_evses_random_delay(api: Api,
                                                                caplog: pytest.LogCaptureFixture
                                                                ) -> None:
    api.command("uk_random_delay", "enable")
    api.command("uk_random_delay", "later")  # rejected
    api.command("uk_random_delay_set_max_duration_s", "10 minutes")  # rejected
    api.command("uk_random_delay_set_max_duration_s", "300")
    api.command("uk_random_delay", "cancel")
    api.command("uk_random_delay", "Disable")
    expected = [("random_delay.enable", {}), ("random_delay.set_duration_s", {"value": 300}),
                ("random_delay.cancel", {}), ("random_delay.disable", {})]
    wait_until(lambda: len(api.evse.calls) >= len(expected), what="four calls")
    assert api.evse.calls == expected
    assert "evse/cmd/uk_random_delay rejected: expected one of enable, disable, cancel, " \
           "got 'later'" in caplog.text
    assert "evse/cmd/uk_random_delay_set_max_duration_s rejected: expected an integer" \
           in caplog.text


def test_a_running_random_delay_shows_in_session_info(api: Api) -> None:
    countdown = {"countdown_s": 42, "current_limit_after_delay_A": 10.0,
                 "current_limit_during_delay_A": 16.0, "start_time": "2026-12-07T10:00:00.000Z"}
    evse = api.evse
    evse.submit(lambda: evse.impl["random_delay"].publish("countdown", countdown))
    info = api.latest("evse/var/session_info", lambda i: "uk_random_delay" in i)
    assert info["uk_random_delay"] == {"remaining_s": 42, "current_limit_after_delay_A": 10.0,
                                       "current_limit_during_delay_A": 16.0,
                                       "start_time": "2026-12-07T10:00:00.000Z"}
    over = dict(countdown, countdown_s=0)
    del over["start_time"]
    evse.submit(lambda: evse.impl["random_delay"].publish("countdown", over))
    api.latest("evse/var/session_info", lambda i: "uk_random_delay" not in i)
