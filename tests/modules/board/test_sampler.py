"""The sampling loop on the simulated board: states, safety reactions and their timing.

Time is the board's clock; it moves only by the loop's own ticks (1.5 ms reset + 2 ms settle
per sample, plus the idle gap), so every reaction time below is counted in sample periods.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import pytest

from pycharge.modules.CbTarragonDriver.contactors import Contactors, Wiring
from pycharge.modules.CbTarragonDriver.control_pilot import MEASUREMENT_S, ControlPilot
from pycharge.modules.CbTarragonDriver.cp_generator import CpGenerator
from pycharge.modules.CbTarragonDriver.heartbeat import HeartbeatWatch
from pycharge.modules.CbTarragonDriver.power import PowerControl
from pycharge.modules.CbTarragonDriver.rcm import RcmInput
from pycharge.modules.CbTarragonDriver.relays import MIN_CLOSE_INTERVAL_S, Relay
from pycharge.modules.CbTarragonDriver.sampler import CLOSED_SAMPLE_PERIOD_S, Sampler
from pycharge.simulation.board import Board
from tests.modules.board.support import Recorder, sim_board
from tests.support.clocks import ManualClock

log = logging.getLogger("test.sampler")
DUTY_16A = 26.7
# Relays closed: a change between two samples is seen by the next one, a whole charging sample
# period later, and confirmed by the one after it, which follows at once.
CHARGING_REACTION_S = CLOSED_SAMPLE_PERIOD_S + MEASUREMENT_S + 1e-9


@dataclass
class Rig:
    clock: ManualClock
    board: Board
    sampler: Sampler
    generator: CpGenerator
    power: PowerControl
    heartbeat: HeartbeatWatch
    recorder: Recorder
    gap: float = 0.0

    def steps(self, count: int) -> None:
        """As Sampler.run does: each sample holds the peaks for the gap the last one chose."""
        for _ in range(count):
            self.sampler.step(self.gap)
            self.gap = self.sampler.idle_gap()

    def run_until(self, condition, limit_s: float = 2.0) -> float:
        """Step until ``condition()``; the clock time when it became true."""
        end = self.clock.now + limit_s
        while not condition():
            assert self.clock.now < end, "condition not reached in time"
            self.steps(1)
        return self.clock.now

    def duty(self, percent: float) -> None:
        self.generator.set_duty(percent)

    def charging(self) -> None:
        """Car in C with 16 A PWM and the relays closed (first close: no interval yet)."""
        self.duty(100.0)
        self.board.set_car_state("B")
        self.duty(DUTY_16A)
        self.board.set_car_state("C")
        self.run_until(lambda: self.power.forbidden_by is None)
        assert self.power.request(True, self.clock.now) is None
        self.run_until(lambda: ("power", "PowerOn") in self.recorder.calls)
        assert self.board.relays[1].contact


def rig(feedback: str = "no", rcm: bool = False, idle_ms: int = 50, users=("evse",),
        heartbeat_s: float = 3.0) -> Rig:
    clock, board, hal = sim_board()
    sense = hal.gpio_input("RELAY_1_SENSE") if feedback != "none" else None
    contactors = Contactors(Wiring.NONE, Relay("R1/S1", hal.gpio_output("RELAY_1_ENABLE"), sense, 0.01),
                            Relay("R2/S2", hal.gpio_output("RELAY_2_ENABLE"), None, 0.01))
    power = PowerControl(contactors, log)
    generator = CpGenerator(hal.pwm("20fc000.pwm", 0), hal.gpio_output("CP_INVERT"))
    cp = ControlPilot(hal.clock, hal.gpio_output("CP_POSITIVE_PEAK_RST"),
                      hal.gpio_output("CP_NEGATIVE_PEAK_RST"), hal.adc("2198000.adc", "voltage2"),
                      hal.adc("2198000.adc", "voltage3"), log)
    rcm_input = RcmInput(hal.gpio_input("DIGITAL_IN_2")) if rcm else None
    heartbeat = HeartbeatWatch(list(users), heartbeat_s, clock.now)
    recorder = Recorder()
    sampler = Sampler(hal.clock, cp, generator, threading.Lock(), power, rcm_input, heartbeat,
                      recorder, idle_ms / 1000, log)
    return Rig(clock, board, sampler, generator, power, heartbeat, recorder)


def unique(states: list[str]) -> list[str]:
    return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]


def test_state_sequence_a_b_c_with_pwm() -> None:
    r = rig()
    r.steps(3)
    assert r.recorder.states() == ["E"]  # not driven yet: the line floats at 0 V
    r.duty(100.0)
    r.steps(3)
    r.board.set_car_state("B")
    r.steps(3)
    r.duty(DUTY_16A)
    r.steps(3)
    r.board.set_car_state("C")
    r.steps(3)
    assert unique(r.recorder.states()) == ["E", "A", "B", "C"]
    assert r.power.forbidden_by is None


def test_disabled_evse_reads_f() -> None:
    r = rig()
    r.duty(0.0)
    r.board.set_car_state("B")
    r.steps(3)
    assert unique(r.recorder.states())[-1] == "F"


def test_a_change_needs_two_samples_and_a_blip_is_ignored() -> None:
    r = rig(idle_ms=0)
    r.duty(100.0)
    r.steps(3)
    before = len(r.recorder.of("verdict"))
    r.board.set_car_state("B")
    r.steps(1)
    r.board.set_car_state("A")
    r.steps(3)
    assert len(r.recorder.of("verdict")) == before  # B seen once only: suppressed


def reaction(r: Rig, subject_change: tuple[str, str, object]) -> float:
    """Simulated time from the injected change to relay 1's coil turning off."""
    subject, change, value = subject_change
    cause = r.board.log.last(subject, change, value)
    opened = r.board.log.first("relay1", "coil", False, since=cause.time)
    assert opened is not None, "relay 1 was not opened"
    return opened.time - cause.time


@pytest.mark.parametrize(("car_state", "reason"), [
    ("B", "CP state B"), ("A", "CP state A"),
    ("E", "CP short circuit"),  # 0 V on both peaks during PWM: chargebyte's short check
])
def test_relays_open_within_one_sample_of_the_confirmed_change(car_state: str, reason: str) -> None:
    r = rig()
    r.charging()
    r.board.set_car_state(car_state)
    r.run_until(lambda: not r.board.relays[1].coil)
    # the next sample sees it, the one right after confirms it and opens
    assert reaction(r, ("car", "state", car_state)) <= CHARGING_REACTION_S
    assert r.power.forbidden_by == reason


def test_state_f_opens_the_relays() -> None:
    r = rig()
    r.charging()
    with r.sampler.cp_lock:
        r.duty(0.0)
    r.board.log.record(r.clock.now, "test", "duty", 0.0)
    r.run_until(lambda: not r.board.relays[1].coil)
    assert reaction(r, ("test", "duty", 0.0)) <= CHARGING_REACTION_S
    assert r.power.forbidden_by == "CP state F"


def test_d_without_ventilation_opens_the_relays() -> None:
    r = rig()
    r.charging()
    r.board.set_car_state("D")
    r.run_until(lambda: not r.board.relays[1].coil)
    assert reaction(r, ("car", "state", "D")) <= CHARGING_REACTION_S
    assert r.sampler.cp.verdict.ventilation


def test_power_off_is_published_once_the_feedback_confirms() -> None:
    r = rig()
    r.charging()
    r.board.set_car_state("B")
    r.run_until(lambda: ("power", "PowerOff") in r.recorder.calls)
    contact_open = r.board.log.last("relay1", "contact", False)
    assert contact_open is not None and contact_open.time <= r.clock.now


def test_rcm_trip_opens_within_one_sample_and_blocks_closing() -> None:
    r = rig(rcm=True)
    r.charging()
    r.board.set_fault("rcm_trip", True)
    r.run_until(lambda: not r.board.relays[1].coil)
    assert reaction(r, ("fault", "rcm_trip", True)) <= CLOSED_SAMPLE_PERIOD_S + 1e-9
    assert r.recorder.of("rcm") == [True]
    assert r.power.request(True, r.clock.now) == "RCM tripped"
    r.board.set_fault("rcm_trip", False)
    r.steps(3)
    assert r.recorder.of("rcm") == [True, False]
    assert r.power.forbidden_by is None


def test_diode_fault_opens_and_latches_until_a() -> None:
    r = rig()
    r.charging()
    r.board.set_fault("diode_short", True)
    r.run_until(lambda: not r.board.relays[1].coil)
    assert reaction(r, ("fault", "diode_short", True)) <= CHARGING_REACTION_S
    assert r.sampler.cp.verdict.diode
    r.board.set_fault("diode_short", False)
    r.steps(5)
    assert r.sampler.cp.verdict.diode, "a diode fault stays until the car leaves"
    assert r.power.request(True, r.clock.now) == "diode fault"
    r.board.set_car_state("A")
    r.steps(5)
    assert not r.sampler.cp.verdict.diode


def test_cp_short_opens_and_reads_e() -> None:
    r = rig()
    r.charging()
    r.board.set_fault("cp_short", True)
    r.run_until(lambda: not r.board.relays[1].coil)
    assert reaction(r, ("fault", "cp_short", True)) <= CHARGING_REACTION_S
    verdict = r.sampler.cp.verdict
    assert verdict.short and verdict.state.value == "E"


def test_heartbeat_loss_opens_and_return_allows_again() -> None:
    r = rig(heartbeat_s=3.0)
    r.charging()
    start = r.clock.now
    r.run_until(lambda: not r.board.relays[1].coil, limit_s=5.0)
    assert 3.0 < r.clock.now - r.heartbeat._last["evse"] <= 3.0 + CLOSED_SAMPLE_PERIOD_S + 1e-9
    assert r.clock.now - start < 3.0 + CHARGING_REACTION_S
    assert r.power.forbidden_by == "no heartbeat from evse"
    assert not r.heartbeat.beat("evse", 1, r.clock.now)
    r.steps(1)
    assert r.power.forbidden_by is None


def test_a_heartbeat_number_that_does_not_grow_is_a_restart() -> None:
    watch = HeartbeatWatch(["evse"], 3.0, 0.0)
    assert [watch.beat("evse", n, float(n)) for n in (7, 8, 9)] == [False, False, False]
    assert watch.beat("evse", 1, 10.0)  # a new instance counts from 1 again
    assert not watch.beat("evse", 2, 11.0)
    assert watch.silent(14.5) == ["evse"]


def test_welded_relay_is_a_fault_for_good() -> None:
    r = rig()
    r.charging()
    r.board.set_fault("relay1_welded", True)
    r.board.set_car_state("B")
    r.run_until(lambda: r.recorder.of("fault"))
    assert r.recorder.of("fault") == ["Failed to OPEN the Contactor@R1/S1, it is still CLOSED"]
    r.board.set_car_state("A")
    r.steps(40)  # 0.8 s in A (PWM on: 20 ms samples), well past the 250 ms recheck
    assert r.recorder.of("recovered") == []
    r.board.set_car_state("C")
    r.steps(5)
    assert r.power.request(True, r.clock.now) == "contactor fault"
    r.clock.advance(MIN_CLOSE_INTERVAL_S)
    r.steps(5)
    assert not r.board.relays[1].coil


def test_stuck_relay_fault_clears_after_a_confirmed_open_in_a() -> None:
    r = rig()
    r.duty(100.0)
    r.board.set_car_state("B")
    r.duty(DUTY_16A)
    r.board.set_car_state("C")
    r.run_until(lambda: r.power.forbidden_by is None)
    r.board.set_fault("relay1_stuck", True)
    r.power.request(True, r.clock.now)
    r.run_until(lambda: r.recorder.of("fault"))
    assert r.recorder.of("fault") == ["Failed to CLOSE the Contactor@R1/S1, it is still OPEN"]
    assert not r.board.relays[1].coil
    r.steps(100)
    assert r.recorder.of("recovered") == [], "not while the car is still there"
    r.board.set_car_state("A")
    r.run_until(lambda: r.recorder.of("recovered"))
    assert r.sampler.contactors.fault is None


def _period(r: Rig, samples: int = 10) -> float:
    """The mean sample period over ``samples`` samples, on the board's clock."""
    start = r.clock.now
    r.steps(samples)
    return (r.clock.now - start) / samples


def test_sample_period_follows_what_a_late_sample_could_cost() -> None:
    r = rig(idle_ms=100)
    r.duty(100.0)
    r.steps(5)
    assert _period(r) == pytest.approx(0.1), "no PWM, relays open: the idle period"
    r.board.set_car_state("B")
    r.steps(5)
    r.duty(DUTY_16A)
    r.steps(5)
    assert _period(r) == pytest.approx(0.02), "PWM on, relays open"
    r.board.set_car_state("C")
    r.run_until(lambda: r.power.forbidden_by is None)
    assert r.power.request(True, r.clock.now) is None
    r.run_until(lambda: ("power", "PowerOn") in r.recorder.calls)
    r.run_until(lambda: not r.power.contactors.busy)
    assert _period(r) == pytest.approx(CLOSED_SAMPLE_PERIOD_S), "relays closed, all settled"


def test_a_long_sample_still_sees_an_excursion_between_two_reads() -> None:
    """The detectors are released at the start of a long sample and read at its end: a car
    that shows A (12 V) for a moment while in B (9 V) is in the reading instead of being
    missed between two short reads."""
    r = rig(idle_ms=100)
    r.duty(100.0)
    r.board.set_car_state("B")
    r.duty(DUTY_16A)
    r.steps(5)
    assert r.gap > 0, "PWM on, relays open: a 20 ms sample"
    clock = r.sampler.cp._clock

    class Excursion:
        """The board's clock, with the car at A for 1 ms in the middle of the long wait."""

        def tick(self, seconds: float) -> None:
            if seconds < 0.01:
                clock.tick(seconds)
                return
            clock.tick(seconds / 2)
            r.board.set_car_state("A")
            clock.tick(0.001)
            r.board.set_car_state("B")
            clock.tick(seconds / 2 - 0.001)

    r.sampler.cp._clock = Excursion()
    r.sampler.step(r.gap)
    assert r.sampler.cp.u_pos > 10_500, "the reading holds A's 12 V peak, not B's 9 V"


def test_republish_reports_the_confirmed_state_again() -> None:
    r = rig()
    r.duty(100.0)
    r.steps(3)
    r.sampler.request_republish()
    r.steps(3)
    assert [v.state.value for v in r.recorder.of("republish")] == ["A"]


def test_no_heartbeat_watch_without_users() -> None:
    r = rig(users=())
    r.charging()
    r.clock.advance(60.0)
    r.steps(3)
    assert r.board.relays[1].coil


def test_republish_waits_for_a_state_on_its_way() -> None:
    """enable(true) switches the CP output on; a car plugging in at that moment is B, never E."""
    r = rig()
    r.steps(3)  # output off: the floating line reads as E
    r.duty(100.0)
    r.sampler.request_republish()
    r.steps(1)  # first sample with the output on
    r.board.set_car_state("B")
    r.steps(6)
    assert [v.state.value for v in r.recorder.of("republish")] == ["B"]
