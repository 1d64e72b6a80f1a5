"""The API's UK random delay, telemetry and charging schedules on bsp-only.yaml on the
simulated board, under the topics and field names EVerest's API module uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Mosquitto
from tests.sil.stack import Sil, bsp_only, sil_stack


@pytest.fixture
def delayed(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Sil]:
    """bsp-only.yaml with the API's optional random_delay connected to the EvseManager."""
    config = bsp_only()
    config["active_modules"]["api"]["connections"]["random_delay"] = [
        {"module_id": "connector", "implementation_id": "random_delay"}]
    with sil_stack(tmp_path, mosquitto, config) as stack:
        yield stack


def test_uk_random_delay_keeps_the_old_current_until_cancelled(delayed: Sil) -> None:
    sil = delayed
    sil.plug_in_and_charge()
    started = sil.wait_duty(26.6667, since=0.0)  # 16 A
    sil.api("uk_random_delay", "enable")
    sil.api("uk_random_delay_set_max_duration_s", "600")
    sil.hold(5.5)  # past the 5 s rule, so only the delay can hold the duty
    sil.api("set_limit_amps", "10")
    topic = sil.api_prefix + "var/session_info"
    sil.probe.wait_for(lambda _m: any("uk_random_delay" in p
                                      for p in sil.probe.payloads(topic)[-2:]), 10)
    delay = sil.session_info()["uk_random_delay"]
    assert delay["current_limit_after_delay_A"] == 10.0
    assert delay["current_limit_during_delay_A"] == 16.0
    assert 0 < delay["remaining_s"] <= 600 and delay["start_time"]
    held_since = sil.now()
    sil.hold(3.0)
    assert [e for e in sil.log.events("cp", "output", since=started.time + 0.001)] == [], \
        "the duty must not change while the random delay runs"

    sil.api("uk_random_delay", "cancel")
    sil.wait_duty(16.6667, since=held_since, timeout=5)
    sil.wait_current(10.0, since=held_since)
    sil.probe.wait_for(lambda _m: "uk_random_delay" not in sil.probe.payloads(topic)[-1], 5)


def _latest(sil: Sil, topic: str) -> Any:
    published = sil.probe.payloads(topic)
    return published[-1] if published else None


def test_telemetry_follows_the_relays(sil: Sil) -> None:
    topic = sil.api_prefix + "var/telemetry"
    # EVerest's names; the board measures no temperature, fan or supply voltage: none made up
    sil.probe.wait_for(lambda _m: _latest(sil, topic) == {"phase_seq_error": False})
    sil.plug_in_and_charge()
    sil.probe.wait_for(lambda _m: _latest(sil, topic) == {"phase_seq_error": True})
    assert sil.board.snapshot()["relays"]["1"]["contact"] is True

    sil.api("stop_charging")
    sil.probe.wait_for(lambda _m: _latest(sil, topic) == {"phase_seq_error": False})
    assert sil.board.snapshot()["relays"]["1"]["contact"] is False


def _limits(schedules: Any) -> list[float] | None:
    if not schedules:
        return None
    return [period["limit"] for period in schedules["schedules"][0]["charging_schedule_period"]]


def test_charging_schedules_follow_the_limit(sil: Sil) -> None:
    topic = sil.errors_topic.replace("errors/var/active_errors", "ocpp/var/charging_schedules")
    sil.plug_in_and_charge()
    sil.wait_duty(26.6667, since=0.0)
    sil.probe.wait_for(lambda _m: _limits(_latest(sil, topic)) == [16.0])
    sil.api("set_limit_amps", "10")
    sil.probe.wait_for(lambda _m: _limits(_latest(sil, topic)) == [10.0])
    schedules = _latest(sil, topic)
    assert list(schedules) == ["schedules"] and len(schedules["schedules"]) == 1
    schedule = schedules["schedules"][0]
    assert {key: schedule[key] for key in ("evse", "charging_rate_unit")} == {
        "evse": 1, "charging_rate_unit": "A"}
    assert schedule["charging_schedule_period"][0]["start_period"] == 0
    assert schedule["start_schedule"].endswith("Z")
