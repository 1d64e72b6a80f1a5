"""Charging sessions of chargebyte's bsp-only.yaml on the simulated board, end to end.

The scenarios of EVerest's AC basic SIL tests (everest-framework.md §6.3): a full session, no
energy before and during the session, paused by the EV and by the EVSE, stopped over the API,
unplugged while charging, a limit change while charging. The car is driven over the carsim
topics, the charger over the API's topics; timing is read from the board's event log.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from tests.sil import iec61851 as iec
from tests.sil.stack import PLUG_IN_16A, RESUME_16A, SESSION_START, STAY, Sil
from tests.support.waiting import wait_until

# EvseManager README (and everest-framework.md §5.4): plug in, charge, car full, unplug
FULL_SESSION = [*SESSION_START, "StoppingCharging", "ChargingPausedEV", "StoppingCharging",
                "ChargingFinished", "TransactionFinished", "SessionFinished"]
SESSION_END = ["StoppingCharging", "ChargingFinished", "TransactionFinished", "SessionFinished"]
VOLTS = 230.0  # the simulated supply (CarSimulator's ac_nominal_voltage)
MIN_CLOSE_INTERVAL_S = 10.0  # anchors.md: "Minimum interval between two closings of the relays"
NO_CURRENT = (0.0, 0.0, 0.0)


def meter_total(event: dict[str, Any], key: str) -> float:
    return event[key]["meter_value"]["energy_Wh_import"]["total"]


def check_energy(sil: Sil, events: list[dict[str, Any]], wanted_a: float = 16.0) -> float:
    """The session's energy as the charger reported it is I x V x t within 1 %."""
    started = next(e for e in events if e["event"] == "TransactionStarted")
    finished = next(e for e in events if e["event"] == "TransactionFinished")
    reported = meter_total(finished, "transaction_finished") - meter_total(
        started, "transaction_started")
    expected = iec.energy_wh(sil.log, 0.0, sil.now(), wanted_a, 3, VOLTS)
    assert expected > 5.0, f"only {expected:.2f} Wh charged: the scenario did not charge"
    assert abs(reported - expected) <= 0.01 * expected, \
        f"charger reported {reported:.3f} Wh, I x V x t gives {expected:.3f} Wh"
    board = sil.board.snapshot()["meter"]["energy_Wh"]
    assert abs(board - expected) <= 0.01 * expected, f"board meter {board} Wh"
    # session_info counts whole Wh: the API truncates both readings
    assert abs(sil.session_info()["charged_energy_wh"] - expected) <= 0.01 * expected + 1.0
    return expected


def check_close_interval(sil: Sil) -> None:
    """anchors.md: "Minimum interval between two closings of the relays: 10 s on Charge Control C"."""
    closes = [e.time for e in sil.log.events("relay1", "coil", True)]
    assert len(closes) >= 2, "the relays closed only once: the interval was not tested"
    assert all(b - a >= MIN_CLOSE_INTERVAL_S for a, b in pairwise(closes)), closes


def charges_again_then_unplugged(sil: Sil, mark: int) -> None:
    """After a pause: the session resumes, power flows once the relays may close again (10 s
    after their last close), then the car is unplugged and the session ends."""
    sil.wait_events("PrepareCharging", "ChargingStarted", since=mark)
    sil.wait_info("Charging")
    sil.wait_current(16.0, since=sil.log.last("relay1", "coil", False).time)
    check_close_interval(sil)
    sil.car_modify("unplug")
    sil.wait_events(*SESSION_END, since=mark)
    check_sequencing(sil)


def check_sequencing(sil: Sil) -> None:
    """The PWM and relay rules over the whole log, once the board has its idle pilot (X1)."""
    wait_until(lambda: sil.board.cp_output() == 100.0, 5.0, "the pilot back at X1")
    iec.check_relays_close_only_in_c_with_pwm(sil.log)
    iec.check_relays_open_when_pwm_stops(sil.log)
    iec.check_no_pwm_without_car(sil.log)


def test_full_session_at_16_a(sil: Sil) -> None:
    mark = sil.mark()
    sil.car(f"{PLUG_IN_16A};sleep 4;pause;sleep 2;unplug")  # car full after 4 s, then unplugged
    sil.wait_events("SessionFinished", since=mark, timeout=20)
    assert sil.names(mark) == FULL_SESSION
    events = sil.events(mark)
    assert events[0]["session_started"]["reason"] == "EVConnected"
    token = next(e for e in events if e["event"] == "TransactionStarted")[
        "transaction_started"]["id_tag"]
    assert token["id_token"] == {"value": "FREESERVICE", "type": "Local"}
    assert events[-2]["transaction_finished"]["reason"] == "EVDisconnected"
    assert len({e["uuid"] for e in events}) == 1, "one session id for the whole session"

    sil.probe.wait_for(lambda _m: sil.info_states()[-2:] == ["Finished", "Unplugged"])
    states = sil.info_states()
    assert states[states.index("Preparing"):] == [
        "Preparing", "AuthRequired", "Preparing", "Charging", "FinishedEV", "ChargingPausedEV",
        "FinishedEV", "Finished", "Unplugged"]
    sil.wait_current(16.0, since=0.0)
    sil.wait_duty(26.6667, since=0.0)  # 16 A / 0.6
    check_energy(sil, events)

    car_full = sil.log.first("car", "state", "B", since=sil.log.first("car", "state", "C").time)
    iec.relays_open_after(sil.log, car_full, iec.LEAVING_C)
    check_sequencing(sil)


def test_no_energy_before_the_session(sil: Sil) -> None:
    limits = sil.api_prefix + "var/limits"
    sil.probe.wait_for(lambda _m: any(p["max_current"] == 16 for p in sil.probe.payloads(limits)))
    sil.api("set_limit_amps", "0")
    sil.probe.wait_for(lambda _m: sil.probe.payloads(limits)[-1]["max_current"] == 0)

    mark = sil.mark()
    sil.car(PLUG_IN_16A + STAY)
    sil.wait_events(*SESSION_START[:-1], since=mark)
    sil.hold(3.0)
    assert "ChargingStarted" not in sil.names(), "charging started without energy"
    assert sil.session_info()["state"] == "Preparing"
    assert not any(iec.offers_current(e.value) for e in sil.log.events("cp", "output")), \
        "the PWM offered current although the grid gave none"
    assert sil.log.events("relay1", "coil", True) == []

    raised = sil.now()
    sil.api("set_limit_amps", "16")
    sil.wait_events("ChargingStarted", since=mark)
    sil.wait_current(16.0, since=raised)
    assert all(e.time >= raised for e in sil.log.events("meter", "current_A")
               if e.value != NO_CURRENT), "energy flowed before the limit was raised"
    mark = sil.mark()
    sil.car_modify("unplug")
    sil.wait_events(*SESSION_END, since=mark)
    check_sequencing(sil)


def test_energy_withdrawn_during_the_session(sil: Sil) -> None:
    sil.plug_in_and_charge()
    mark, withdrawn = sil.mark(), sil.now()
    sil.api("set_limit_amps", "0")
    paused = sil.wait_events("StoppingCharging", "ChargingPausedEVSE", since=mark)[-1]
    assert paused["charging_paused_evse"]["reasons"] == ["NoEnergy"]
    stopped = sil.log.wait_for("cp", "output", 100.0, since=withdrawn)
    assert stopped.time - withdrawn < iec.PWM_MIN_INTERVAL_S, \
        f"{iec.PWM_5_S}: a stop must not wait for the 5 s rule"
    sil.hold(2.0)
    assert sil.names(mark) == ["StoppingCharging", "ChargingPausedEVSE"], "restarted without energy"
    assert sil.board.snapshot()["meter"]["power_W"] == 0.0

    mark = sil.mark()
    sil.api("set_limit_amps", "16")
    charges_again_then_unplugged(sil, mark)


def test_paused_and_resumed_by_the_ev(sil: Sil) -> None:
    sil.plug_in_and_charge()
    mark, paused_at = sil.mark(), sil.now()
    sil.car_modify("pause;sleep 36000")
    sil.wait_events("StoppingCharging", "ChargingPausedEV", since=mark)
    iec.relays_open_after(sil.log, sil.log.first("car", "state", "B", since=paused_at),
                          iec.LEAVING_C)
    sil.wait_info("ChargingPausedEV")
    sil.hold(1.0)
    assert sil.board.snapshot()["meter"]["power_W"] == 0.0
    assert "ChargingStarted" not in sil.names(mark)

    mark = sil.mark()
    sil.car_modify(RESUME_16A)
    charges_again_then_unplugged(sil, mark)


def test_paused_and_resumed_by_the_evse_over_the_api(sil: Sil) -> None:
    sil.plug_in_and_charge()
    mark = sil.mark()
    sil.api("pause_charging")
    paused = sil.wait_events("StoppingCharging", "ChargingPausedEVSE", since=mark)[-1]
    assert paused["charging_paused_evse"]["reasons"] == ["UserPause"]
    assert sil.wait_info("ChargingPausedEVSE")["permanent_fault"] is False
    sil.hold(1.0)
    snapshot = sil.board.snapshot()
    assert (snapshot["cp"]["output"], snapshot["car"]["state"]) == (100.0, "B")
    assert snapshot["meter"]["power_W"] == 0.0
    assert sil.names(mark) == ["StoppingCharging", "ChargingPausedEVSE"]

    mark = sil.mark()
    sil.api("resume_charging")
    charges_again_then_unplugged(sil, mark)


def test_stopped_over_the_api(sil: Sil) -> None:
    sil.plug_in_and_charge()
    mark = sil.mark()
    sil.api("stop_charging")
    finished = sil.wait_events("StoppingCharging", "ChargingFinished", "TransactionFinished",
                               since=mark)[-1]
    assert finished["transaction_finished"]["reason"] == "Local"
    sil.wait_info("FinishedEVSE")
    sil.hold(2.0)
    assert sil.names(mark) == ["StoppingCharging", "ChargingFinished", "TransactionFinished"], \
        "a stopped transaction must not pause or start again while the car stays plugged in"
    snapshot = sil.board.snapshot()
    assert (snapshot["car"]["state"], snapshot["relays"]["1"]["contact"]) == ("B", False)
    assert len(sil.log.events("relay1", "coil", True)) == 1
    sil.car_modify("unplug")
    sil.wait_events("SessionFinished", since=mark)
    sil.wait_info("Unplugged")
    check_sequencing(sil)


def test_unplugged_while_charging(sil: Sil) -> None:
    mark = sil.plug_in_and_charge()
    sil.hold(5.5)  # the duty is older than the 5 s rule: nothing may restart it after the unplug
    unplugged_at = sil.now()
    sil.car_modify("unplug")
    sil.wait_events("SessionFinished", since=mark)
    assert sil.names(mark) == [*SESSION_START, *SESSION_END]
    assert sil.events(mark)[-2]["transaction_finished"]["reason"] == "EVDisconnected"
    unplugged = sil.log.first("car", "state", "A", since=unplugged_at)
    assert sil.log.events("car", "state", "B", since=unplugged_at) == [], "went C -> A"
    iec.relays_open_after(sil.log, unplugged, iec.UNPLUGGED_E_F)
    sil.hold(0.5)
    assert sil.board.snapshot()["cp"]["output"] == 100.0
    check_sequencing(sil)


def test_limit_change_while_charging(sil: Sil) -> None:
    sil.plug_in_and_charge()
    started = sil.wait_duty(26.6667, since=0.0)
    sil.api("set_limit_amps", "10")
    lowered = sil.wait_duty(16.6667, since=started.time)
    assert lowered.time - started.time >= iec.PWM_MIN_INTERVAL_S, iec.PWM_5_S
    assert lowered.time - started.time <= iec.PWM_MIN_INTERVAL_S + 1.5, "the PWM did not follow"
    sil.wait_current(10.0, since=lowered.time)

    sil.api("set_limit_amps", "13")
    raised = sil.wait_duty(21.6667, since=lowered.time)
    assert raised.time - lowered.time >= iec.PWM_MIN_INTERVAL_S, iec.PWM_5_S
    assert raised.time - lowered.time <= iec.PWM_MIN_INTERVAL_S + 1.5, "the PWM did not follow"
    sil.wait_current(13.0, since=raised.time)
    iec.check_pwm_5_s_rule(sil.log)

    mark = sil.mark()
    sil.car_modify("pause;sleep 1.5;unplug")  # paused first: the last meter reading is final
    sil.wait_events("SessionFinished", since=mark)
    check_energy(sil, sil.events())
    check_sequencing(sil)


def test_disabled_and_enabled_again_with_the_car_plugged_in(sil: Sil) -> None:
    """The car stays in C through the disabled EVSE's F: enabling again starts a new session."""
    first = sil.events(sil.plug_in_and_charge())[0]["uuid"]
    mark, since = sil.mark(), sil.now()
    sil.api("disable", "1")
    sil.wait_events("Disabled", "ChargingFinished", "TransactionFinished", since=mark)
    sil.wait_info("Disabled")
    sil.log.wait_for("relay1", "contact", False, since=since, timeout=5)
    assert sil.board.snapshot()["cp"]["output"] == 0.0, "a disabled EVSE shows F"
    mark, since = sil.mark(), sil.now()
    sil.api("enable", "1")
    started = sil.wait_events("Enabled", "SessionFinished", *SESSION_START, since=mark)
    assert started[1]["uuid"] == first and started[2]["uuid"] != first, "a new session, not the old one"
    sil.log.wait_for("relay1", "contact", True, since=since, timeout=15)
    sil.wait_info("Charging")
