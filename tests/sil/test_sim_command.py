"""``pycharge sim``, the demo a newcomer runs first, as a subprocess: its output and exit code."""

from __future__ import annotations

import os
import re
import subprocess
import sys

STATUS = re.compile(r"^ +(?P<t>\d+\.\d)s  (?P<state>\w+) +(?P<car>[A-E]) (?P<cp>off|X1|F|\d+\.\d %) +"
                    r"(?P<amps>[\d. ]+/[\d. ]+/[\d. ]+) A +(?P<kw>\d+\.\d\d) kW +(?P<wh>\d+\.\d\d) Wh"
                    r"  (?P<relays>open|closed)$")
EVENT = re.compile(r"^ +\d+\.\ds  >> (?P<event>.+)$")
SUMMARY_ENERGY = re.compile(r"^  (?P<what>energy|delivered) +(?P<wh>\d+\.\d\d) Wh")
SUMMARY_CHARGING = re.compile(r"^  charging +(?P<s>\d+\.\d) s at up to 16\.0 A per phase$")


def pycharge_sim(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pycharge", "sim", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                          check=False)


def test_quick_demo_charges_pauses_resumes_and_summarises() -> None:
    done = pycharge_sim("--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    events = [m["event"] for m in map(EVENT.match, lines) if m]
    expected = ["SessionStarted (EVConnected)", "ChargingStarted", "ChargingPausedEVSE (UserPause)",
                "ChargingStarted", "ChargingPausedEV", "ChargingStarted",
                "TransactionFinished (EVDisconnected)", "SessionFinished"]
    found = iter(events)
    assert all(e in found for e in expected), events  # in this order, others between

    status = [m for m in map(STATUS.match, lines) if m]
    times = [float(m["t"]) for m in status]
    assert len(status) >= 20 and times == sorted(times), "one status line per second"
    charging = [m for m in status if m["state"] == "Charging" and m["relays"] == "closed"]
    assert charging and all((m["car"], m["cp"], m["amps"], m["kw"]) == (
        "C", "26.7 %", "16.0/16.0/16.0", "11.04") for m in charging)
    assert any(m["state"] == "ChargingPausedEVSE" and m["cp"] == "X1" and m["relays"] == "open"
               for m in status)
    assert any(m["state"] == "ChargingPausedEV" and m["car"] == "B" for m in status)
    assert status[-1]["state"] == "Unplugged" and status[-1]["car"] == "A"

    assert "Session summary" in lines
    assert "  pauses         1 by the charger, 1 by the car" in lines
    energy = {m["what"]: float(m["wh"]) for m in map(SUMMARY_ENERGY.match, lines) if m}
    seconds = next(float(m["s"]) for m in map(SUMMARY_CHARGING.match, lines) if m)
    assert seconds >= 9.0, "three phases of 3 s charging"
    delivered = seconds * 11040 / 3600  # 3 x 16 A x 230 V
    assert abs(energy["delivered"] - delivered) <= 0.02 * delivered, (energy, seconds)
    # billed from the last meter reading before the unplug: at most 1 s at 11 kW short
    assert 0 <= energy["delivered"] - energy["energy"] <= 11040 / 3600, energy


def test_a_car_script_of_ones_own() -> None:
    done = pycharge_sim("--script", "sleep 0.5;iec_wait_pwr_ready;draw_power_regulated 10,1;"
                                    "sleep 2.5;unplug", timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [m["event"] for m in map(EVENT.match, lines) if m][-1] == "SessionFinished"
    status = [m for m in map(STATUS.match, lines) if m]
    assert any(m["amps"] == "10.0/ 0.0/ 0.0" and m["kw"] == "2.30" for m in status), \
        "the car draws 10 A on one phase, less than the 16 A it is offered"


def test_a_wrong_car_script_is_refused_before_anything_starts() -> None:
    done = pycharge_sim("--script", "sleep 1;fly 3", timeout=30)
    assert done.returncode == 2
    assert "Command not found: fly" in done.stderr
