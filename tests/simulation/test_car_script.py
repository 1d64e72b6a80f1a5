"""EvManager command scripts: parsing, and a car following them against the board."""

from __future__ import annotations

import pytest

from pycharge.simulation.battery import Battery
from pycharge.simulation.board import Board
from pycharge.simulation.car_script import Command, ScriptError, ScriptRunner, parse
from tests.simulation.conftest import Evse
from tests.support.clocks import ManualClock


def test_parse_everest_syntax() -> None:
    assert parse("sleep 1;iec_wait_pwr_ready; sleep 0.5 ;draw_power_regulated 16,3;;unplug") == [
        Command("sleep", (1.0,)), Command("iec_wait_pwr_ready", ()), Command("sleep", (0.5,)),
        Command("draw_power_regulated", (16.0, 3.0)), Command("unplug", ())]
    assert parse("") == []


def test_parse_is_case_insensitive_and_takes_newlines_like_evmanager() -> None:
    assert parse("Sleep 1\nDRAW_POWER_FIXED 16,2\r\nset_soc 42;Wait_For_Real_Plugin\n") == [
        Command("sleep", (1.0,)), Command("draw_power_fixed", (16.0, 1.0)),
        Command("set_soc", (42.0,)), Command("wait_for_real_plugin", ())]
    # EvManager: three phases only for exactly "3"; any other phase argument is one phase
    assert parse("draw_power_regulated 16,3")[0].args == (16.0, 3.0)
    assert parse("draw_power_regulated 16,1")[0].args == (16.0, 1.0)


def test_a_rejected_script_leaves_the_running_session_alone(board: Board, evse: Evse,
                                                            clock: ManualClock) -> None:
    runner = ScriptRunner(board)
    runner.execute("iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 100")
    evse.drive(26.67)
    run_for(runner, clock, 0.2)
    assert board.car.state == "C"
    queued = list(runner.queue)
    with pytest.raises(ScriptError, match="iso_stop_charging needs ISO 15118"):
        runner.modify("sleep 1;iso_stop_charging")
    with pytest.raises(ScriptError, match="needs ISO 15118"):
        runner.execute("unplug;iso_wait_slac_matched")
    run_for(runner, clock, 0.2)
    assert list(runner.queue) == queued
    assert board.car.state == "C"


def test_set_soc_and_wait_for_real_plugin(board: Board, clock: ManualClock) -> None:
    runner = ScriptRunner(board, battery=Battery(40000, 30))
    runner.execute("set_soc 37.5;wait_for_real_plugin;sleep 1")
    run_for(runner, clock, 0.1)
    assert runner.soc_percent == 37.5
    assert board.car.state == "B"  # CP read A (no car), so the car plugged in
    assert runner.ev_info() == {"soc": 37.5, "battery_capacity": 40000, "battery_full_soc": 100}
    run_for(runner, clock, 1.0)  # script over: back to the configured SoC, and no ev_info
    assert runner.soc_percent == 30 and runner.ev_info() is None


def test_the_soc_follows_the_energy_the_car_got(board: Board, evse: Evse,
                                                clock: ManualClock) -> None:
    """EvManager: charge Wh = capacity x SoC; what flows into the car is added to it."""
    runner = ScriptRunner(board, battery=Battery(10000, 30))
    runner.execute("set_soc 50;iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 3600")
    evse.drive(26.67)
    run_for(runner, clock, 0.1)
    assert runner.soc_percent == 50  # in C, but the relay is open: nothing flows
    evse.hal.gpio_output("RELAY_1_ENABLE").write(True)
    run_for(runner, clock, 60)
    delivered = board.snapshot()["meter"]["energy_Wh"]
    assert delivered == pytest.approx(3 * 230 * 16 * 60 / 3600, rel=0.01)
    assert runner.soc_percent == pytest.approx(50 + delivered / 10000 * 100, abs=1e-6)
    info = runner.ev_info()
    assert info is not None and info["target_current"] == 16 and info["soc"] > 50
    runner.battery.set_soc(99.9)
    run_for(runner, clock, 60)
    assert runner.soc_percent == 100  # full stays full


def test_set_soc_out_of_range_is_refused(runner: ScriptRunner) -> None:
    with pytest.raises(ScriptError, match=r"set_soc: SoC value 101 is out of range \(0-100\)"):
        runner.execute("set_soc 101")
    with pytest.raises(ScriptError, match="SoC value -1 is out of range"):
        parse("set_soc -1")


def test_plugin_runs_the_plugin_commands(board: Board, evse: Evse, clock: ManualClock) -> None:
    """EvManager: ``plugin`` replaces the rest of the script by its ``plugin_commands``."""
    runner = ScriptRunner(board, plugin_commands="iec_wait_pwr_ready;draw_power_regulated 6,1;"
                                                 "sleep 100")
    runner.execute("plugin;draw_power_fixed 32,3;sleep 5")
    evse.drive(26.67)
    run_for(runner, clock, 0.2)
    assert board.car.state == "C" and (board.car.requested_a, board.car.phases) == (6, 1)
    assert [c.name for c in runner.queue] == ["sleep"] and runner.queue[0].args == (100.0,)
    with pytest.raises(ScriptError, match="Command not found: fly"):
        ScriptRunner(board, plugin_commands="fly")


@pytest.mark.parametrize(("script", "message"), [
    ("sleep 1;fly", "Command not found: fly"),
    ("sleep", "Invalid number of arguments for: sleep expected 1 got 0"),
    ("unplug now", "Invalid number of arguments for: unplug expected 0 got 1"),
    ("# a comment\nunplug", "Command not found: #"),
    ("sleep 1;ISO_WAIT_SLAC_MATCHED", "iso_wait_slac_matched needs ISO 15118"),
    ("iso_draw_power_regulated 16,3", "iso_draw_power_regulated needs ISO 15118"),
    ("iso_start_v2g_session ac 1 2 3 4", "iso_start_v2g_session needs ISO 15118"),
    ("set_soc", "Invalid number of arguments for: set_soc expected 1 got 0"),
    ("wait_for_real_plugin 1", "Invalid number of arguments for: wait_for_real_plugin"),
    ("rcd_current lots", "arguments must be numbers"),
])
def test_bad_scripts_are_refused_whole(script: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        parse(script)


@pytest.fixture
def runner(board: Board) -> ScriptRunner:
    return ScriptRunner(board)


def run_for(runner: ScriptRunner, clock: ManualClock, seconds: float, step: float = 0.05) -> None:
    end = clock.now + seconds
    while clock.now < end - 1e-9:
        clock.now += step
        runner.step()


def test_a_regulated_session(board: Board, evse: Evse, runner: ScriptRunner,
                             clock: ManualClock) -> None:
    runner.execute("sleep 1;iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 10;unplug")
    run_for(runner, clock, 0.5)
    assert board.car.state == "A"  # still asleep
    run_for(runner, clock, 1.0)
    assert board.car.state == "B"  # plugged in, waiting for PWM
    evse.drive(100)
    run_for(runner, clock, 1.0)
    assert board.car.state == "B"
    evse.drive(26.67)
    run_for(runner, clock, 0.1)
    assert board.car.state == "C"
    evse.drive(100)  # the EVSE pauses: the car goes back to B
    run_for(runner, clock, 0.1)
    assert board.car.state == "B"
    evse.drive(26.67)
    run_for(runner, clock, 0.1)
    assert board.car.state == "C" and board.car.requested_a == 16 and board.car.phases == 3
    run_for(runner, clock, 10)
    assert board.car.state == "A" and not runner.running
    states = [e.value for e in board.log.events("car", "state")]
    assert states == ["B", "C", "B", "C", "A"]
    entered_b = board.log.first("car", "state", "B").time
    assert entered_b == pytest.approx(1.05)  # sleep 1 measured on the simulated clock


def test_fixed_mode_stays_in_c_and_pause_goes_to_b(board: Board, evse: Evse, runner: ScriptRunner,
                                                   clock: ManualClock) -> None:
    runner.execute("plugin;draw_power_fixed 10,1;sleep 100")
    run_for(runner, clock, 0.1)
    assert board.car.state == "C"  # even without PWM: the rule-breaking test car
    assert (board.car.requested_a, board.car.phases) == (10, 1)
    runner.modify("pause;sleep 100")
    run_for(runner, clock, 0.1)
    assert board.car.state == "B" and runner.running


def test_faults_from_the_script(board: Board, runner: ScriptRunner, clock: ManualClock) -> None:
    runner.execute("plugin;diode_fail;rcd_current 30;error_e;sleep 5")
    run_for(runner, clock, 0.1)
    assert board.car.diode_short and board.rcm.tripped and board.car.state == "E"
    run_for(runner, clock, 5)  # script over: the car is back to its defaults
    assert not board.car.diode_short and not board.rcm.tripped and board.car.state == "A"


def test_execute_starts_from_the_defaults(board: Board, runner: ScriptRunner,
                                          clock: ManualClock) -> None:
    runner.execute("plugin;rcd_current 10;sleep 100")
    run_for(runner, clock, 0.1)
    runner.execute("sleep 100")
    assert board.rcm.residual_ma == 0 and board.car.state == "A"


def test_wait_for_pwm_thresholds(board: Board, evse: Evse, runner: ScriptRunner,
                                 clock: ManualClock) -> None:
    runner.execute("iec_wait_pwr_ready;sleep 100")
    evse.drive(5)  # HLC 5 %: not enough for a basic-charging car
    run_for(runner, clock, 0.2)
    assert runner.queue[0].name == "iec_wait_pwr_ready"
    evse.drive(8)
    run_for(runner, clock, 0.1)
    assert runner.queue[0].name == "sleep"
    runner.execute("iso_wait_pwm_is_running;sleep 100")
    evse.drive(5)
    run_for(runner, clock, 0.1)
    assert runner.queue[0].name == "sleep"
